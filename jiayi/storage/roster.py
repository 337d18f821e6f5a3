"""The imported roster of contracted residents (table roster_entries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m


@dataclass(frozen=True, slots=True)
class RosterEntryRecord:
    id: int
    centre_id: int
    doctor_id: int | None
    name: str
    phone: str
    birth_year: int | None
    birth_date: date | None
    sex: str | None
    conditions: tuple[str, ...]
    contract_starts_on: date | None
    contract_ends_on: date | None
    resident_id: int | None
    matched_at: datetime | None
    imported_at: datetime


def _record(row: m.RosterEntry) -> RosterEntryRecord:
    return RosterEntryRecord(
        id=row.id,
        centre_id=row.centre_id,
        doctor_id=row.doctor_id,
        name=row.name,
        phone=row.phone,
        birth_year=row.birth_year,
        birth_date=row.birth_date,
        sex=row.sex,
        conditions=tuple(c for c in row.conditions.split(",") if c),
        contract_starts_on=row.contract_starts_on,
        contract_ends_on=row.contract_ends_on,
        resident_id=row.resident_id,
        matched_at=row.matched_at,
        imported_at=row.imported_at,
    )


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, entry_id: int) -> RosterEntryRecord | None:
        row = await self._s.get(m.RosterEntry, entry_id)
        return _record(row) if row else None

    async def for_centre(self, centre_id: int) -> list[RosterEntryRecord]:
        rows = await self._s.scalars(
            select(m.RosterEntry)
            .where(m.RosterEntry.centre_id == centre_id)
            .order_by(m.RosterEntry.id)
        )
        return [_record(r) for r in rows]

    async def unmatched_by_phone(self, phone: str) -> list[RosterEntryRecord]:
        rows = await self._s.scalars(
            select(m.RosterEntry)
            .where(m.RosterEntry.phone == phone, m.RosterEntry.resident_id.is_(None))
            .order_by(m.RosterEntry.imported_at.desc(), m.RosterEntry.id.desc())
        )
        return [_record(r) for r in rows]

    async def for_resident(self, resident_id: int) -> RosterEntryRecord | None:
        row = await self._s.scalar(
            select(m.RosterEntry).where(m.RosterEntry.resident_id == resident_id)
        )
        return _record(row) if row else None

    async def add(self, *, centre_id: int, now: datetime, **values: object) -> int:
        row = m.RosterEntry(centre_id=centre_id, imported_at=now, **values)
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def update(self, entry_id: int, now: datetime, **values: object) -> None:
        await self._s.execute(
            update(m.RosterEntry)
            .where(m.RosterEntry.id == entry_id)
            .values(imported_at=now, **values)
        )

    async def delete(self, entry_ids: Sequence[int]) -> int:
        if not entry_ids:
            return 0
        result = await self._s.execute(
            delete(m.RosterEntry).where(
                m.RosterEntry.id.in_(list(entry_ids)), m.RosterEntry.resident_id.is_(None)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def match(self, entry_id: int, resident_id: int, now: datetime) -> bool:
        """Links the entry to the resident unless someone else was linked to it first."""
        result = await self._s.execute(
            update(m.RosterEntry)
            .where(m.RosterEntry.id == entry_id, m.RosterEntry.resident_id.is_(None))
            .values(resident_id=resident_id, matched_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete_unmatched_ended_before(self, day: date) -> int:
        """Unmatched entries whose contract ended before `day` (retention)."""
        result = await self._s.execute(
            delete(m.RosterEntry).where(
                m.RosterEntry.resident_id.is_(None),
                m.RosterEntry.contract_ends_on.is_not(None),
                m.RosterEntry.contract_ends_on < day,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def imported_before_without_end(self, instant: datetime) -> int:
        """Unmatched entries with no contract end, last imported before `instant` (retention)."""
        result = await self._s.execute(
            delete(m.RosterEntry).where(
                m.RosterEntry.resident_id.is_(None),
                m.RosterEntry.contract_ends_on.is_(None),
                m.RosterEntry.imported_at < instant,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def centre_doctors(self, centre_id: int) -> list[tuple[int, str, str, bool]]:
        """(id, display name, link code, active) of the centre's doctors."""
        rows = await self._s.execute(
            select(m.Doctor.id, m.Doctor.display_name, m.Doctor.link_code, m.Doctor.active)
            .where(m.Doctor.centre_id == centre_id)
            .order_by(m.Doctor.id)
        )
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]
