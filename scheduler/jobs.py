"""Scheduled jobs: plan the day's pushes, and drain the outbox. Each run is independent and
idempotent, so a missed or doubled run does no harm."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from services import pushes
from services.clock import Clock
from services.database import UnitOfWork
from services.delivery import DispatchReport, OutboxDispatcher
from services.pushes import Library, PlanReport, PushSchedule

log = logging.getLogger(__name__)


@dataclass
class PushJobs:
    uow_factory: Callable[[], UnitOfWork]
    library: Library
    schedule: PushSchedule
    clock: Clock
    dispatcher: OutboxDispatcher

    async def plan(self) -> PlanReport:
        report = await pushes.plan_due(self.uow_factory, self.library, self.schedule, self.clock)
        if report.created or report.catch_up:
            log.info(
                "planned %d push(es) for %s, %d catch-up",
                report.created,
                ", ".join(d.isoformat() for d in report.planned_days),
                report.catch_up,
            )
        return report

    async def dispatch(self) -> DispatchReport:
        return await self.dispatcher.run_once()
