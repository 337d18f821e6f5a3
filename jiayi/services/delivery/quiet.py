"""Quiet hours: whether a local time falls inside them, and when they end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: datetime, start: int, end: int) -> bool:
    hour = local.hour
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def quiet_hours_end(local: datetime, start: int, end: int, zone: ZoneInfo) -> datetime:
    """The next local `end` o'clock after `local` (a push delayed by quiet hours goes then)."""
    candidate = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.replace(tzinfo=zone)
