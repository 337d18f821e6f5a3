"""Slots are not cut on the statutory holidays of a year without a schedule (both DBs)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jiayi.services import booking, booking_setup
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.factories import CENTRE_CODE, make_centre

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_YAML = f"""
centre: {CENTRE_CODE}
services:
  - code: checkup
    kind: checkup
    name: {{zh-CN: 健康体检, en: Check-up}}
    horizon_days: 30
    schedules:
      - {{weekdays: [mon, tue, wed, thu, fri], start: "08:00", end: "09:00",
         slot_minutes: 30, capacity: 2}}
"""


async def test_spring_festival_2027_opens_no_slots(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    """Mutation caught: `services.holidays.day_kind` answering "normal" for a year the
    package doesn't know (slots on 除夕 and 初三, bookable as soon as the horizon reached)."""
    clock.set(datetime(2027, 1, 25, 0, 0, tzinfo=UTC))
    await make_centre(uow_factory, clock)
    path = tmp_path / "booking.yaml"
    path.write_text(WEEKDAYS_YAML, encoding="utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=3)
    async with uow_factory() as uow:
        starts = await uow.booking.slot_starts(
            datetime(2027, 1, 25, tzinfo=UTC), datetime(2027, 2, 16, tzinfo=UTC)
        )
    days = {s.astimezone(SHANGHAI).date() for _, s in starts}
    assert date(2027, 2, 4) in days  # Thursday before
    assert date(2027, 2, 5) not in days  # 除夕, a Friday
    assert date(2027, 2, 8) not in days  # 初三, a Monday
    assert date(2027, 2, 9) in days  # bridge days stay open until the schedule is loaded
