"""A broadcast's delivery report, counted from its outbox rows, and the doctor's live progress
message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from jiayi.services.broadcasts.segments import BroadcastStatus
from jiayi.services.broadcasts.sending import own_broadcast
from jiayi.services.clock import Clock
from jiayi.services.console import require_doctor
from jiayi.services.settings import Settings
from jiayi.storage.records import (
    BroadcastRecord,
    OutboxStatus,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    broadcast: BroadcastRecord
    delivered: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    cancelled: int = 0
    waiting: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.waiting == 0


def _report(broadcast: BroadcastRecord, counts: dict[str, int]) -> BroadcastReport:
    s = OutboxStatus
    return BroadcastReport(
        broadcast=broadcast,
        delivered=counts.get(s.SENT.value, 0),
        failed=counts.get(s.FAILED.value, 0),
        blocked=counts.get(s.BLOCKED.value, 0),
        skipped=counts.get(s.SKIPPED.value, 0),
        cancelled=counts.get(s.CANCELLED.value, 0),
        waiting=counts.get(s.PENDING.value, 0) + counts.get(s.CLAIMED.value, 0),
        counts=counts,
    )


async def report(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, broadcast_id: int
) -> BroadcastReport:
    """Delivered, failed, blocked… so far, counted from the broadcast's outbox rows."""
    async with uow:
        actor = await require_doctor(uow, telegram_user_id, settings)
        broadcast = await own_broadcast(uow, actor, broadcast_id)
        return _report(broadcast, await uow.console.broadcast_counts(broadcast_id))


async def list_broadcasts(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, limit: int = 10
) -> list[BroadcastReport]:
    """The actor's latest broadcasts, newest first, each with its counts."""
    async with uow:
        await require_doctor(uow, telegram_user_id, settings)
        broadcasts = await uow.console.broadcasts_of(telegram_user_id, limit=limit)
        return [_report(b, await uow.console.broadcast_counts(b.id)) for b in broadcasts]


async def set_status_message(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, broadcast_id: int, message_id: int
) -> None:
    """Remembers the doctor's status message, so progress can be shown in it."""
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        await own_broadcast(uow, actor, broadcast_id)
        await uow.console.set_status_message(broadcast_id, message_id)
        await uow.commit()


async def track_progress(
    uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> list[BroadcastReport]:
    """For the scheduler: the report of every broadcast being sent. A broadcast whose rows
    are all settled moves to done, exactly once; its report comes back with `finished` set
    (and only that once), so the caller can send the final report to the doctor."""
    now = clock.now()
    reports: list[BroadcastReport] = []
    async with uow_factory() as uow:
        await uow.begin_write()
        live = await uow.console.broadcasts_in(
            (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
        )
        for broadcast in live:
            if broadcast.starts_at > now:
                continue
            if broadcast.status == BroadcastStatus.SCHEDULED:
                await uow.console.set_broadcast_status(
                    broadcast.id,
                    old=(BroadcastStatus.SCHEDULED.value,),
                    new=BroadcastStatus.SENDING.value,
                )
            counts = await uow.console.broadcast_counts(broadcast.id)
            current = _report(broadcast, counts)
            if current.finished:
                moved = await uow.console.set_broadcast_status(
                    broadcast.id,
                    old=(BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value),
                    new=BroadcastStatus.DONE.value,
                    finished_at=now,
                )
                if not moved:
                    continue
                current = replace(
                    current,
                    broadcast=replace(
                        broadcast, status=BroadcastStatus.DONE.value, finished_at=now
                    ),
                )
            reports.append(current)
        await uow.commit()
    return reports
