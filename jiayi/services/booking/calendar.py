"""The booking calendar: which days are worked (public holidays and 调休 make-up days),
local days and midnights of a centre's zone, and slots cut from a weekly schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import holidays
from jiayi.storage.records import ScheduleRecord


def day_kind(day: date) -> str:
    """'holiday' (an official public holiday), 'makeup' (a weekend day officially worked, 调休)
    or 'normal'. The calendar data and what happens in years without it: services.holidays."""
    return holidays.day_kind(day)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def cut_slots(
    day: date, schedule: ScheduleRecord, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    step = timedelta(minutes=schedule.slot_minutes)
    start = datetime.combine(day, schedule.start_time, tzinfo=zone)
    end = datetime.combine(day, schedule.end_time, tzinfo=zone)
    spans = []
    while start + step <= end:
        spans.append((start.astimezone(UTC), (start + step).astimezone(UTC)))
        start += step
    return spans
