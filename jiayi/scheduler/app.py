"""APScheduler wiring. Built by the entry point, started inside its event loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from functools import wraps
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from jiayi.scheduler.jobs import PushJobs, SkippedRunsAreNormal
from jiayi.services.settings import Settings

PLAN_JOB_ID = "plan_pushes"
DISPATCH_JOB_ID = "dispatch_outbox"
SLOTS_JOB_ID = "materialize_slots"
OFFERS_JOB_ID = "expire_waitlist_offers"
CARE_JOB_ID = "plan_care"
RETENTION_JOB_ID = "prune_outbox"
POINTS_JOB_ID = "points_housekeeping"
BROADCASTS_JOB_ID = "broadcast_progress"


# Planning jobs run on the one worker holding the lease; every worker dispatches.
LEADER_JOB_IDS = frozenset(
    {
        PLAN_JOB_ID,
        SLOTS_JOB_ID,
        OFFERS_JOB_ID,
        CARE_JOB_ID,
        RETENTION_JOB_ID,
        POINTS_JOB_ID,
        BROADCASTS_JOB_ID,
    }
)

JobFunc = Callable[[], Awaitable[Any]]


def _wrap(
    job_id: str,
    func: JobFunc,
    leads: Callable[[], bool] | None,
    observe: Callable[[str, float, object], None] | None,
) -> JobFunc:
    @wraps(func)
    async def run() -> Any:
        if leads is not None and job_id in LEADER_JOB_IDS and not leads():
            return None
        started = time.perf_counter()
        result = None
        try:
            result = await func()
            return result
        finally:
            if observe is not None:
                observe(job_id, time.perf_counter() - started, result)

    return run if (leads is not None or observe is not None) else func


def _scheduler_logger() -> logging.Logger:
    logger = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, SkippedRunsAreNormal) for f in logger.filters):
        logger.addFilter(SkippedRunsAreNormal())
    return logger


def build_scheduler(
    jobs: PushJobs,
    settings: Settings,
    *,
    leads: Callable[[], bool] | None = None,
    observe: Callable[[str, float, object], None] | None = None,
) -> AsyncIOScheduler:
    """Every job on an interval from settings (the `*_interval_*` fields).

    `leads`: with several workers, whether this one holds the planning lease now (checked at
    every run, so a lease that moves takes planning with it). `observe(job, seconds, result)`
    times each run (metrics)."""
    scheduler = AsyncIOScheduler(timezone=UTC, logger=_scheduler_logger())
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}

    def every(job: JobFunc, job_id: str, interval: timedelta) -> None:
        # A run missed by less than one interval still happens; an older one is dropped.
        seconds = interval.total_seconds()
        scheduler.add_job(
            _wrap(job_id, job, leads, observe),
            "interval",
            seconds=seconds,
            id=job_id,
            misfire_grace_time=max(1, int(seconds)),
            **common,
        )

    # The entry point plans once at start-up itself; the timer takes over from there.
    every(jobs.plan, PLAN_JOB_ID, timedelta(minutes=settings.plan_interval_minutes))
    every(jobs.dispatch, DISPATCH_JOB_ID, timedelta(seconds=settings.dispatch_interval_seconds))
    every(jobs.materialize, SLOTS_JOB_ID, timedelta(hours=settings.slots_interval_hours))
    every(jobs.expire_offers, OFFERS_JOB_ID, timedelta(seconds=settings.offers_interval_seconds))
    # Care items move by days: a few runs a day catch each new step within hours.
    every(jobs.plan_care, CARE_JOB_ID, timedelta(hours=settings.care_interval_hours))
    every(jobs.prune_outbox, RETENTION_JOB_ID, timedelta(hours=settings.retention_interval_hours))
    every(jobs.points, POINTS_JOB_ID, timedelta(minutes=settings.points_interval_minutes))
    every(
        jobs.broadcast_progress,
        BROADCASTS_JOB_ID,
        timedelta(seconds=settings.broadcast_progress_interval_seconds),
    )
    return scheduler
