"""Start-up says loudly when the booking horizon reaches a year without a holiday schedule."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from jiayi.services.clock import ManualClock
from jiayi.services.settings import Settings
from tests.e2e.conftest import RunningBot

WARNING = "no public-holiday schedule for 2027"


@pytest.mark.parametrize(
    ("now", "warned"),
    [
        (datetime(2026, 12, 20, 2, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 2, tzinfo=UTC), False),
    ],
)
async def test_start_up_warns_about_a_year_without_holidays(
    settings: Settings,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
    warned: bool,
) -> None:
    """20 December: three weeks ahead is January 2027, unknown. Mutation caught: the
    `holidays.horizon_warning` call removed from `bot.app.run`."""
    clock.set(now)
    caplog.set_level(logging.INFO)
    running = RunningBot(settings, clock)
    await running.start()
    await running.stop()
    found = [r for r in caplog.records if WARNING in r.getMessage()]
    assert bool(found) is warned
    assert all(r.levelno == logging.WARNING for r in found)
