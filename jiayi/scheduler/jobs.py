"""Scheduled jobs: plan the day's pushes, and drain the outbox. Each run is independent and
idempotent, so a missed or doubled run does no harm."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.services import (
    booking,
    broadcasts,
    careplans,
    points,
    privacy,
    pushes,
    readings,
    roster,
)
from jiayi.services.broadcasts import BroadcastReport
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.delivery import DispatchReport, OutboxDispatcher
from jiayi.services.pushes import Library, PlanReport, PushSchedule
from jiayi.services.ratelimit import SharedLimitsUnavailable

log = logging.getLogger(__name__)


class SkippedRunsAreNormal(logging.Filter):
    """APScheduler warns when a timer fires while the job's previous run is still going. For
    the dispatcher that is normal operation (a long batch outlasts its 2-second timer, and the
    run in progress drains what is due anyway): such lines become DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and "maximum number of running instances" in str(
            record.msg
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


@dataclass
class PushJobs:
    uow_factory: Callable[[], UnitOfWork]
    library: Library
    schedule: PushSchedule
    clock: Clock
    dispatcher: OutboxDispatcher
    zone: ZoneInfo
    slot_weeks: int = 3
    waitlist_hold: timedelta = timedelta(minutes=30)
    outbox_retention_months: int = privacy.DEFAULT_RETENTION_MONTHS
    readings_retention_months: int = readings.DEFAULT_RETENTION_MONTHS
    # Shows a broadcast's progress to its doctor, and the final report (bot/ implements it).
    on_broadcast: Callable[[BroadcastReport], Awaitable[None]] | None = None
    _running: set[asyncio.Task[object]] = field(default_factory=set)

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)

    async def shutdown(self, limit: float = 30.0) -> None:
        """Stops cleanly: the dispatcher starts no new send and records the ones in flight,
        and every run in progress is awaited (not cancelled) for up to `limit` seconds."""
        self.dispatcher.request_stop()
        await self.wait_idle(limit)

    async def wait_idle(self, limit: float = 30.0) -> None:
        """Lets runs in progress finish (shutdown): their transactions must end before the
        database is closed, or their locks outlive the process's pool."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=limit)

    async def plan(self) -> PlanReport:
        async with self._tracked():
            return await self._plan()

    async def dispatch(self) -> DispatchReport:
        async with self._tracked():
            try:
                return await self.dispatcher.run_once()
            except SharedLimitsUnavailable as error:
                # A Redis blip (or Redis going away while a worker shuts down) is a fault
                # to report, not a crash: the next run picks up what this one left.
                log.warning("dispatch stopped: shared rate limits unreachable (%s)", error)
                return DispatchReport()

    async def materialize(self) -> int:
        """Turns recurring schedules into bookable slots for the next few weeks."""
        async with self._tracked():
            created = await booking.materialize_slots(
                self.uow_factory(), self.clock, self.zone, weeks=self.slot_weeks
            )
            if created:
                log.info("materialised %d slot(s)", created)
            return created

    async def expire_offers(self) -> int:
        """Waitlist holds that ran out go to the next person waiting."""
        async with self._tracked():
            return await booking.expire_offers(
                self.uow_factory, self.clock, hold=self.waitlist_hold
            )

    async def plan_care(self) -> tuple[int, int]:
        """Care-plan reminders for items that reached a new window step, and the doctors'
        digests due today: (reminders, digests) queued."""
        async with self._tracked():
            reminders = await careplans.plan_reminders(self.uow_factory, self.clock, self.zone)
            digests = await careplans.plan_digests(self.uow_factory, self.clock, self.zone)
            if reminders or digests:
                log.info("care plans: %d reminder(s), %d digest(s)", reminders, digests)
            # Reminders to measure at home run with the care reminders they belong beside.
            measuring = await readings.plan_reminders(self.uow_factory, self.clock, self.zone)
            if measuring:
                log.info("home readings: %d reminder(s) to measure", measuring)
            return reminders, digests

    async def prune_outbox(self) -> int:
        """Delivered pushes past the retention period are deleted, keeping only counts."""
        async with self._tracked():
            pruned = await privacy.prune_outbox(
                self.uow_factory(), self.clock, self.outbox_retention_months
            )
            if pruned:
                log.info("pruned %d delivered push(es) past retention", pruned)
            # Home readings are health data: kept for the retention period, then deleted.
            removed = await readings.prune(
                self.uow_factory(), self.clock, self.readings_retention_months
            )
            if removed:
                log.info("pruned %d home reading(s) past retention", removed)
            # Roster entries nobody matched: deleted once their contract is long over.
            dropped = await roster.prune_roster(self.uow_factory(), self.clock, self.zone)
            if dropped:
                log.info("pruned %d unmatched roster entr(ies) past retention", dropped)
            return pruned

    async def points(self) -> points.HousekeepingReport:
        """Expires lapsed vouchers (refunding them) and points, and queues expiry reminders."""
        async with self._tracked():
            report = await points.housekeeping(self.uow_factory, self.clock, self.zone)
            if report.vouchers_expired or report.points_expired or report.reminders:
                log.info(
                    "points: %d voucher(s) expired, %d point(s) expired, %d reminder(s)",
                    report.vouchers_expired,
                    report.points_expired,
                    report.reminders,
                )
            return report

    async def broadcast_progress(self) -> list[BroadcastReport]:
        """Updates doctors' broadcast status messages; sends each final report once."""
        async with self._tracked():
            reports = await broadcasts.track_progress(self.uow_factory, self.clock)
            if self.on_broadcast is not None:
                for report in reports:
                    await self.on_broadcast(report)
            return reports

    async def _plan(self) -> PlanReport:
        report = await pushes.plan_due(self.uow_factory, self.library, self.schedule, self.clock)
        if report.created or report.catch_up:
            log.info(
                "planned %d push(es) for %s, %d catch-up",
                report.created,
                ", ".join(d.isoformat() for d in report.planned_days),
                report.catch_up,
            )
        return report
