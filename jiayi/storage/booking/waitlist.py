"""The waitlist: people waiting for a full slot, offers and their expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from jiayi.storage import models as m
from jiayi.storage.records import AppointmentStatus, WaitlistRow, WaitlistStatus

LIVE_WAITLIST = (WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value)


class BookingWaitlist:
    """Waitlist entries: added, ranked, offered, lapsed."""

    _s: AsyncSession

    async def add_waiting(
        self,
        *,
        slot_id: int,
        resident_id: int,
        family_member_id: int | None,
        person_key: str,
        now: datetime,
    ) -> int | None:
        """A new entry at the back of the line; None if the person is already in it."""
        statement = (
            insert(m.WaitlistEntry)
            .values(
                slot_id=slot_id,
                resident_id=resident_id,
                family_member_id=family_member_id,
                person_key=person_key,
                status=WaitlistStatus.WAITING.value,
                created_at=now,
            )
            .returning(m.WaitlistEntry.id)
        )
        try:
            async with self._s.begin_nested():
                return int((await self._s.execute(statement)).scalar_one())
        except IntegrityError:
            return None

    def _waitlist(self) -> Select[Any]:
        w = m.WaitlistEntry
        return (
            select(
                w.id,
                w.slot_id,
                m.Slot.service_id,
                w.resident_id,
                w.family_member_id,
                w.person_key,
                w.status,
                w.offered_until,
                func.coalesce(m.FamilyMember.display_name, m.Resident.display_name).label(
                    "person"
                ),
            )
            .join(m.Slot, m.Slot.id == w.slot_id)
            .join(m.Resident, m.Resident.id == w.resident_id)
            .outerjoin(m.FamilyMember, m.FamilyMember.id == w.family_member_id)
        )

    @staticmethod
    def _waitlist_row(row: Row[Any]) -> WaitlistRow:
        return WaitlistRow(
            id=row.id,
            slot_id=row.slot_id,
            service_id=row.service_id,
            resident_id=row.resident_id,
            family_member_id=row.family_member_id,
            person_key=row.person_key,
            person_name=row.person,
            status=WaitlistStatus(row.status),
            offered_until=row.offered_until,
        )

    async def waitlist_entry(self, entry_id: int) -> WaitlistRow | None:
        row = (
            await self._s.execute(self._waitlist().where(m.WaitlistEntry.id == entry_id))
        ).first()
        return self._waitlist_row(row) if row else None

    async def waitlist_position(self, entry_id: int) -> int:
        """1-based place among the live entries of the slot (0 once no longer live)."""
        w, ahead = m.WaitlistEntry, aliased(m.WaitlistEntry)
        position = await self._s.scalar(
            select(func.count())
            .select_from(w)
            .join(ahead, ahead.slot_id == w.slot_id)
            .where(
                w.id == entry_id,
                w.status.in_(LIVE_WAITLIST),
                ahead.status.in_(LIVE_WAITLIST),
                (ahead.created_at < w.created_at)
                | and_(ahead.created_at == w.created_at, ahead.id <= w.id),
            )
        )
        return int(position or 0)

    async def next_waiting(self, slot_id: int) -> WaitlistRow | None:
        """The first in line who doesn't meanwhile hold a booking for the same service."""
        w, a = m.WaitlistEntry, m.Appointment
        has_booking = exists().where(
            a.service_id == m.Slot.service_id,
            a.person_key == w.person_key,
            a.status == AppointmentStatus.BOOKED.value,
        )
        row = (
            await self._s.execute(
                self._waitlist()
                .where(
                    w.slot_id == slot_id,
                    w.status == WaitlistStatus.WAITING.value,
                    ~has_booking,
                )
                .order_by(w.created_at, w.id)
                .limit(1)
            )
        ).first()
        return self._waitlist_row(row) if row else None

    async def set_waitlist_status(
        self,
        entry_id: int,
        *,
        from_status: WaitlistStatus,
        to: WaitlistStatus,
        offered_until: datetime | None = None,
        expired_by: datetime | None = None,
        held_after: datetime | None = None,
    ) -> bool:
        """Moves an entry on only from `from_status` (with `expired_by`, only if its hold ran
        out by then; with `held_after`, only if its hold still stands after that instant);
        False if someone else moved it first."""
        w = m.WaitlistEntry
        query = update(w).where(w.id == entry_id, w.status == from_status.value)
        if expired_by is not None:
            query = query.where(w.offered_until <= expired_by)
        if held_after is not None:
            query = query.where(w.offered_until > held_after)
        result = await self._s.execute(
            query.values(status=to.value, offered_until=offered_until).execution_options(
                synchronize_session=False
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def expired_offers(self, now: datetime) -> list[int]:
        w = m.WaitlistEntry
        rows = await self._s.scalars(
            select(w.id)
            .where(w.status == WaitlistStatus.OFFERED.value, w.offered_until <= now)
            .order_by(w.offered_until, w.id)
        )
        return list(rows)

    async def lapse_waitlist(self, slot_ids: Sequence[int]) -> list[int]:
        """Ends every live entry on the slots (they are being closed); returns their ids."""
        if not slot_ids:
            return []
        w = m.WaitlistEntry
        # One conditional update: an entry accepted meanwhile keeps its status (a select and
        # then an update by id would overwrite it).
        rows = await self._s.scalars(
            update(w)
            .where(w.slot_id.in_(slot_ids), w.status.in_(LIVE_WAITLIST))
            .values(status=WaitlistStatus.LAPSED.value, offered_until=None)
            .returning(w.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(rows)
