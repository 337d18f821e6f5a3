"""Broadcast segments: the built-in audiences, the readings and overdue-care segments, and the
SQL filter a choice of segments becomes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from jiayi.services import careplans
from jiayi.services.console import Actor, AgeBand
from jiayi.services.errors import InvalidInput
from jiayi.services.push import PushKind
from jiayi.storage.records import (
    Condition,
    ResidentFilter,
)
from jiayi.storage.uow import UnitOfWork

TEXT_MAX = 3000


CAPTION_MAX = 900  # Telegram captions hold 1,024 characters, with room for the header


MAX_SPREAD = timedelta(hours=24)


MAX_AHEAD = timedelta(days=30)


CHILD_UNDER_YEARS = 6


BROADCAST_KIND = PushKind.BROADCAST


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


# --- segments ----------------------------------------------------------------------------


class SegmentGroup(StrEnum):
    """Segments of one group are alternatives (OR); groups combine with AND."""

    CONDITION = "condition"
    AGE = "age"
    FAMILY = "family"
    CARE = "care"


# An audience computed outside SQL: (uow inside an open transaction, the doctor's id or None
# for an admin, the local day) -> resident ids.
SegmentResolver = Callable[[UnitOfWork, int | None, date], Awaitable[set[int]]]


@dataclass(frozen=True, slots=True)
class Segment:
    code: str
    group: SegmentGroup
    criteria: ResidentFilter | None = None
    resolver: SegmentResolver | None = None


def _builtin() -> dict[str, Segment]:
    found: dict[str, Segment] = {}
    for condition in Condition:
        code = f"cond.{condition.value}"
        found[code] = Segment(
            code, SegmentGroup.CONDITION, ResidentFilter(conditions=frozenset({condition}))
        )
    for band in AgeBand:
        code = f"age.{band.value}"
        found[code] = Segment(code, SegmentGroup.AGE, ResidentFilter(age_bands=(band.bounds,)))
    found["kids_u6"] = Segment(
        "kids_u6", SegmentGroup.FAMILY, ResidentFilter(child_under_years=CHILD_UNDER_YEARS)
    )
    found[READINGS_HIGH_SEGMENT] = Segment(
        READINGS_HIGH_SEGMENT, SegmentGroup.CARE, resolver=_readings_high
    )
    return found


READINGS_HIGH_SEGMENT = "readings_high"


READINGS_HIGH_DAYS = 30


async def _readings_high(uow: UnitOfWork, doctor_id: int | None, today: date) -> set[int]:
    """Residents whose own home readings were above target (or urgent) in the last 30 days."""
    since = datetime.combine(today - timedelta(days=READINGS_HIGH_DAYS), time(), tzinfo=UTC)
    in_scope = await uow.console.in_scope_ids(doctor_id)
    return await uow.readings.residents_with_level(
        sorted(in_scope), ("above", "urgent"), since=since
    )


BUILTIN_SEGMENTS: Mapping[str, Segment] = MappingProxyType(_builtin())


OVERDUE_SEGMENT = "overdue"


def segment_catalogue(zone: ZoneInfo) -> dict[str, Segment]:
    """Every segment offered to doctors, built where it is used: the SQL-filter ones and the
    ones other features compute ("residents with overdue care items", in the centre's zone).
    Nothing is registered at start-up, so no process-wide list can drift between callers."""
    return {**BUILTIN_SEGMENTS, OVERDUE_SEGMENT: _overdue_segment(zone)}


def segment_codes() -> list[str]:
    return [*BUILTIN_SEGMENTS, OVERDUE_SEGMENT]


def check_segments(codes: Sequence[str], known: Mapping[str, Segment]) -> tuple[str, ...]:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput("segment_unknown")
    return tuple(dict.fromkeys(codes))


async def audience_filter(
    uow: UnitOfWork,
    actor: Actor,
    codes: Sequence[str],
    today: date,
    known: Mapping[str, Segment],
) -> ResidentFilter:
    by_group: dict[SegmentGroup, list[Segment]] = {}
    for code in codes:
        segment = known[code]
        by_group.setdefault(segment.group, []).append(segment)
    combined = ResidentFilter()
    ids: set[int] | None = None
    for segments in by_group.values():
        for s in segments:
            c = s.criteria
            if c is not None:
                combined = replace(
                    combined,
                    conditions=combined.conditions | c.conditions,
                    age_bands=combined.age_bands + c.age_bands,
                    child_under_years=c.child_under_years or combined.child_under_years,
                )
        resolved = [s.resolver for s in segments if s.resolver is not None]
        if resolved:
            group_ids: set[int] = set()
            for resolver in resolved:
                group_ids |= await resolver(uow, actor.scope, today)
            ids = group_ids if ids is None else ids & group_ids
    if ids is not None:
        combined = replace(combined, resident_ids=frozenset(ids))
    return combined


def _overdue_segment(zone: ZoneInfo) -> Segment:
    """The audience "residents with overdue care items" (care plans), in the centre's zone."""

    async def overdue(uow: UnitOfWork, doctor_id: int | None, today: date) -> set[int]:
        if doctor_id is not None:
            return await careplans.overdue_resident_ids(uow, doctor_id, today, zone)
        # An admin: every doctor's residents.
        found: set[int] = set()
        for doctor in await uow.doctors.list_active(limit=await uow.doctors.count_active()):
            found |= await careplans.overdue_resident_ids(uow, doctor.id, today, zone)
        return found

    return Segment(OVERDUE_SEGMENT, SegmentGroup.CARE, resolver=overdue)
