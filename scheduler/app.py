"""APScheduler wiring. Built by the entry point, started inside its event loop."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from functools import wraps
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import PushJobs

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


def build_scheduler(
    jobs: PushJobs,
    *,
    plan_every: timedelta,
    dispatch_every: timedelta,
    leads: Callable[[], bool] | None = None,
    observe: Callable[[str, float, object], None] | None = None,
) -> AsyncIOScheduler:
    """`leads`: with several workers, whether this one holds the planning lease now (checked
    at every run, so a lease that moves takes planning with it). `observe(job, seconds, result)`
    times each run (metrics)."""
    scheduler = AsyncIOScheduler(timezone=UTC)

    def add(func: JobFunc, trigger: str, *, id: str, **kwargs: Any) -> None:
        scheduler.add_job(_wrap(id, func, leads, observe), trigger, id=id, **kwargs)

    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    # The entry point plans once at start-up itself; the timer takes over from there.
    add(
        jobs.plan,
        "interval",
        seconds=plan_every.total_seconds(),
        id=PLAN_JOB_ID,
        misfire_grace_time=int(plan_every.total_seconds()),
        **common,
    )
    add(
        jobs.dispatch,
        "interval",
        seconds=dispatch_every.total_seconds(),
        id=DISPATCH_JOB_ID,
        misfire_grace_time=30,
        **common,
    )
    add(jobs.materialize, "interval", hours=6, id=SLOTS_JOB_ID, misfire_grace_time=3600, **common)
    add(
        jobs.expire_offers,
        "interval",
        minutes=1,
        id=OFFERS_JOB_ID,
        misfire_grace_time=60,
        **common,
    )
    # Care items move by days: a few runs a day catch each new step within hours.
    add(jobs.plan_care, "interval", hours=3, id=CARE_JOB_ID, misfire_grace_time=3600, **common)
    add(
        jobs.prune_outbox,
        "interval",
        hours=24,
        id=RETENTION_JOB_ID,
        misfire_grace_time=6 * 3600,
        **common,
    )
    add(jobs.points, "interval", hours=1, id=POINTS_JOB_ID, misfire_grace_time=3600, **common)
    add(
        jobs.broadcast_progress,
        "interval",
        seconds=30,
        id=BROADCASTS_JOB_ID,
        misfire_grace_time=30,
        **common,
    )
    return scheduler
