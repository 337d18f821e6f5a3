"""Every scheduler job runs on an interval from settings, and the tests' settings idle them."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import cast

from apscheduler.triggers.interval import IntervalTrigger

from jiayi.scheduler.app import build_scheduler
from jiayi.scheduler.jobs import PushJobs
from jiayi.services.settings import Settings
from tests.conftest import IDLE_TIMERS

LONGEST_TEST = timedelta(minutes=30)  # the broadcast-scale run takes about 5.5 minutes


async def _job() -> None:
    return None


def _intervals(settings: Settings) -> dict[str, timedelta]:
    jobs = SimpleNamespace(
        **dict.fromkeys(
            (
                "plan",
                "dispatch",
                "materialize",
                "expire_offers",
                "plan_care",
                "prune_outbox",
                "points",
                "broadcast_progress",
            ),
            _job,
        )
    )
    scheduler = build_scheduler(cast(PushJobs, jobs), settings)
    intervals = {}
    for job in scheduler.get_jobs():
        assert isinstance(job.trigger, IntervalTrigger)
        intervals[job.id] = job.trigger.interval
    return intervals


def test_every_job_interval_comes_from_settings() -> None:
    """Mutation tried: `broadcast_progress` back on a hard-coded `seconds=30` (or
    `expire_offers` on `minutes=1`): its interval no longer follows the setting."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        dispatch_interval_seconds=3,
        plan_interval_minutes=7,
        slots_interval_hours=5,
        offers_interval_seconds=45,
        care_interval_hours=2,
        retention_interval_hours=12,
        points_interval_minutes=20,
        broadcast_progress_interval_seconds=15,
    )
    assert _intervals(settings) == {
        "dispatch_outbox": timedelta(seconds=3),
        "plan_pushes": timedelta(minutes=7),
        "materialize_slots": timedelta(hours=5),
        "expire_waitlist_offers": timedelta(seconds=45),
        "plan_care": timedelta(hours=2),
        "prune_outbox": timedelta(hours=12),
        "points_housekeeping": timedelta(minutes=20),
        "broadcast_progress": timedelta(seconds=15),
    }


def test_the_test_settings_keep_every_timer_idle() -> None:
    """End-to-end and sandbox tests build their settings with IDLE_TIMERS: no job may fire on
    the wall clock during a test (the 30-s broadcast job once finished a broadcast before the
    scale test asked for its report). Mutation tried: dropping `offers_interval_seconds` from
    IDLE_TIMERS (the 60-s default comes back)."""
    intervals = _intervals(Settings(_env_file=None, **IDLE_TIMERS))  # type: ignore[call-arg, arg-type]
    assert len(intervals) == 8
    for job_id, interval in intervals.items():
        assert interval > LONGEST_TEST, job_id
