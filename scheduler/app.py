"""APScheduler wiring. Built by the entry point, started inside its event loop."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import PushJobs, SkippedRunsAreNormal

PLAN_JOB_ID = "plan_pushes"
DISPATCH_JOB_ID = "dispatch_outbox"
SLOTS_JOB_ID = "materialize_slots"
OFFERS_JOB_ID = "expire_waitlist_offers"
CARE_JOB_ID = "plan_care"
RETENTION_JOB_ID = "prune_outbox"
POINTS_JOB_ID = "points_housekeeping"
BROADCASTS_JOB_ID = "broadcast_progress"


def _scheduler_logger() -> logging.Logger:
    logger = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, SkippedRunsAreNormal) for f in logger.filters):
        logger.addFilter(SkippedRunsAreNormal())
    return logger


def build_scheduler(
    jobs: PushJobs, *, plan_every: timedelta, dispatch_every: timedelta
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC, logger=_scheduler_logger())
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    # The entry point plans once at start-up itself; the timer takes over from there.
    scheduler.add_job(
        jobs.plan,
        "interval",
        seconds=plan_every.total_seconds(),
        id=PLAN_JOB_ID,
        misfire_grace_time=int(plan_every.total_seconds()),
        **common,
    )
    scheduler.add_job(
        jobs.dispatch,
        "interval",
        seconds=dispatch_every.total_seconds(),
        id=DISPATCH_JOB_ID,
        misfire_grace_time=30,
        **common,
    )
    scheduler.add_job(
        jobs.materialize, "interval", hours=6, id=SLOTS_JOB_ID, misfire_grace_time=3600, **common
    )
    scheduler.add_job(
        jobs.expire_offers,
        "interval",
        minutes=1,
        id=OFFERS_JOB_ID,
        misfire_grace_time=60,
        **common,
    )
    # Care items move by days: a few runs a day catch each new step within hours.
    scheduler.add_job(
        jobs.plan_care, "interval", hours=3, id=CARE_JOB_ID, misfire_grace_time=3600, **common
    )
    scheduler.add_job(
        jobs.prune_outbox,
        "interval",
        hours=24,
        id=RETENTION_JOB_ID,
        misfire_grace_time=6 * 3600,
        **common,
    )
    scheduler.add_job(
        jobs.points, "interval", hours=1, id=POINTS_JOB_ID, misfire_grace_time=3600, **common
    )
    scheduler.add_job(
        jobs.broadcast_progress,
        "interval",
        seconds=30,
        id=BROADCASTS_JOB_ID,
        misfire_grace_time=30,
        **common,
    )
    return scheduler
