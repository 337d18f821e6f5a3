"""APScheduler wiring. Built by the entry point, started inside its event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from services.settings import Settings

from scheduler.jobs import PushJobs

PLAN_JOB_ID = "plan_pushes"
DISPATCH_JOB_ID = "dispatch_outbox"
SLOTS_JOB_ID = "materialize_slots"
OFFERS_JOB_ID = "expire_waitlist_offers"
CARE_JOB_ID = "plan_care"
RETENTION_JOB_ID = "prune_outbox"
POINTS_JOB_ID = "points_housekeeping"
BROADCASTS_JOB_ID = "broadcast_progress"


def build_scheduler(jobs: PushJobs, settings: Settings) -> AsyncIOScheduler:
    """Every job on an interval from settings (the `*_interval_*` fields)."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}

    def every(job: Callable[[], Awaitable[object]], job_id: str, interval: timedelta) -> None:
        # A run missed by less than one interval still happens; an older one is dropped.
        seconds = interval.total_seconds()
        scheduler.add_job(
            job,
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
