"""The last 30 days of a person's readings, summarised for the chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from statistics import mean
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.readings.recording import subject
from jiayi.services.readings.values import MORNING_ENDS, SUMMARY_DAYS, Level, ReadingKind
from jiayi.storage.readings import ReadingRecord
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Summary:
    person_name: str
    readings: tuple[ReadingRecord, ...]
    bp_count: int
    bp_in_range: int
    morning: tuple[int, int] | None  # average systolic/diastolic before noon
    evening: tuple[int, int] | None
    glucose_count: int
    glucose_in_range: int
    glucose_average: dict[str, Decimal]  # by context
    urgent: int


def _average_bp(rows: list[ReadingRecord]) -> tuple[int, int] | None:
    pairs = [(r.systolic, r.diastolic) for r in rows if r.systolic and r.diastolic]
    if not pairs:
        return None
    return round(mean(p[0] for p in pairs)), round(mean(p[1] for p in pairs))


def summarise(name: str, readings: list[ReadingRecord], zone: ZoneInfo) -> Summary:
    bp = [r for r in readings if r.kind == ReadingKind.BLOOD_PRESSURE.value]
    glucose = [r for r in readings if r.kind == ReadingKind.GLUCOSE.value]
    morning = [r for r in bp if r.measured_at.astimezone(zone).time() < MORNING_ENDS]
    evening = [r for r in bp if r.measured_at.astimezone(zone).time() >= MORNING_ENDS]
    by_context: dict[str, list[int]] = {}
    for r in glucose:
        if r.glucose_tenths is not None and r.context:
            by_context.setdefault(r.context, []).append(r.glucose_tenths)
    return Summary(
        person_name=name,
        readings=tuple(readings),
        bp_count=len(bp),
        bp_in_range=sum(r.level == Level.IN_RANGE.value for r in bp),
        morning=_average_bp(morning),
        evening=_average_bp(evening),
        glucose_count=len(glucose),
        glucose_in_range=sum(r.level == Level.IN_RANGE.value for r in glucose),
        glucose_average={
            context: (Decimal(sum(values)) / len(values) / 10).quantize(Decimal("0.1"))
            for context, values in by_context.items()
        },
        urgent=sum(r.level == Level.URGENT.value for r in readings),
    )


async def summary(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    telegram_user_id: int,
    member_id: int | None,
    days: int = SUMMARY_DAYS,
) -> Summary:
    """The person's readings of the last `days` days, oldest first, with averages."""
    since = clock.now() - timedelta(days=days)
    async with uow:
        resident, member = await subject(uow, telegram_user_id, member_id)
        readings = await uow.readings.for_person(resident.id, member_id, since=since)
    return summarise(member.display_name if member else resident.display_name, readings, zone)
