"""Home readings (blood pressure, glucose): add, list per person, prune. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.consent import may_receive_pushes


@dataclass(frozen=True, slots=True)
class ReadingRecord:
    id: int
    resident_id: int
    member_id: int | None
    kind: str  # "bp" or "glucose"
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    glucose_tenths: int | None
    context: str | None
    level: str
    measured_at: datetime


def _record(row: m.HomeReading) -> ReadingRecord:
    return ReadingRecord(
        id=row.id,
        resident_id=row.resident_id,
        member_id=row.member_id,
        kind=row.kind,
        systolic=row.systolic,
        diastolic=row.diastolic,
        pulse=row.pulse,
        glucose_tenths=row.glucose_tenths,
        context=row.context,
        level=row.level,
        measured_at=row.measured_at,
    )


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    resident_id: int
    hours: tuple[int, ...]
    daily_until: date
    since: datetime


class ReadingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self,
        *,
        resident_id: int,
        member_id: int | None,
        kind: str,
        level: str,
        measured_at: datetime,
        now: datetime,
        systolic: int | None = None,
        diastolic: int | None = None,
        pulse: int | None = None,
        glucose_tenths: int | None = None,
        context: str | None = None,
    ) -> ReadingRecord:
        row = m.HomeReading(
            resident_id=resident_id,
            member_id=member_id,
            kind=kind,
            level=level,
            systolic=systolic,
            diastolic=diastolic,
            pulse=pulse,
            glucose_tenths=glucose_tenths,
            context=context,
            measured_at=measured_at,
            recorded_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return _record(row)

    async def for_person(
        self,
        resident_id: int,
        member_id: int | None,
        *,
        since: datetime,
        kind: str | None = None,
    ) -> list[ReadingRecord]:
        """A person's readings measured since `since`, oldest first."""
        r = m.HomeReading
        query = select(r).where(
            r.resident_id == resident_id,
            r.member_id.is_(None) if member_id is None else r.member_id == member_id,
            r.measured_at >= since,
        )
        if kind is not None:
            query = query.where(r.kind == kind)
        rows = await self._s.scalars(query.order_by(r.measured_at, r.id))
        return [_record(row) for row in rows]

    async def latest(
        self, resident_id: int, member_id: int | None, kind: str, *, limit: int
    ) -> list[ReadingRecord]:
        """The person's latest readings of a kind, newest first."""
        r = m.HomeReading
        rows = await self._s.scalars(
            select(r)
            .where(
                r.resident_id == resident_id,
                r.member_id.is_(None) if member_id is None else r.member_id == member_id,
                r.kind == kind,
            )
            .order_by(r.measured_at.desc(), r.id.desc())
            .limit(limit)
        )
        return [_record(row) for row in rows]

    async def own_since(self, resident_ids: Sequence[int], since: datetime) -> list[ReadingRecord]:
        """The residents' own readings (not their family's) measured since `since`."""
        if not resident_ids:
            return []
        r = m.HomeReading
        rows = await self._s.scalars(
            select(r)
            .where(r.resident_id.in_(resident_ids), r.member_id.is_(None), r.measured_at >= since)
            .order_by(r.measured_at, r.id)
        )
        return [_record(row) for row in rows]

    async def count_recorded_between(
        self, resident_id: int, start: datetime, end: datetime
    ) -> int:
        """Readings the resident's account recorded in [start, end) (for the points rule)."""
        r = m.HomeReading
        count = await self._s.scalar(
            select(func.count())
            .select_from(r)
            .where(r.resident_id == resident_id, r.recorded_at >= start, r.recorded_at < end)
        )
        return int(count or 0)

    async def residents_with_level(
        self, resident_ids: Sequence[int], levels: Sequence[str], *, since: datetime
    ) -> set[int]:
        """Of `resident_ids`, those with an own reading at one of `levels` since `since`."""
        if not resident_ids:
            return set()
        r = m.HomeReading
        rows = await self._s.scalars(
            select(r.resident_id)
            .where(
                r.resident_id.in_(resident_ids),
                r.member_id.is_(None),
                r.level.in_(levels),
                r.measured_at >= since,
            )
            .distinct()
        )
        return set(rows)

    async def prune_before(self, cutoff: datetime) -> int:
        """Deletes readings measured before `cutoff` (retention); returns how many."""
        result = await self._s.execute(
            delete(m.HomeReading).where(m.HomeReading.measured_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- reminders to measure -----------------------------------------------------------

    async def set_reminder(
        self, resident_id: int, hours: Sequence[int], daily_until: date, now: datetime
    ) -> None:
        await self.clear_reminder(resident_id)
        self._s.add(
            m.ReadingReminder(
                resident_id=resident_id,
                hours=",".join(str(h) for h in sorted(set(hours))),
                daily_until=daily_until,
                created_at=now,
            )
        )
        await self._s.flush()

    async def clear_reminder(self, resident_id: int) -> bool:
        result = await self._s.execute(
            delete(m.ReadingReminder).where(m.ReadingReminder.resident_id == resident_id)
        )
        return bool(getattr(result, "rowcount", 0))

    @staticmethod
    def _reminder(row: m.ReadingReminder) -> ReminderRecord:
        return ReminderRecord(
            resident_id=row.resident_id,
            hours=tuple(int(h) for h in row.hours.split(",") if h),
            daily_until=row.daily_until,
            since=row.created_at,
        )

    async def reminder_for(self, resident_id: int) -> ReminderRecord | None:
        row = await self._s.get(m.ReadingReminder, resident_id)
        return self._reminder(row) if row is not None else None

    async def reminders_to_plan(self, consent_version: str) -> list[ReminderRecord]:
        """Reminders of residents who may receive pushes now."""
        rows = await self._s.scalars(
            select(m.ReadingReminder)
            .join(m.Resident, m.Resident.id == m.ReadingReminder.resident_id)
            .where(may_receive_pushes(consent_version))
        )
        return [self._reminder(row) for row in rows]
