"""Slots and their seats. Seats move only through single conditional UPDATEs
(`booked < capacity`, `booked > 0`), never by reading the count and writing it back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.records import SlotRecord, SlotStatus

SLOT_COLUMNS = (
    m.Slot.id,
    m.Slot.service_id,
    m.Slot.doctor_id,
    m.Slot.starts_at,
    m.Slot.ends_at,
    m.Slot.capacity,
    m.Slot.booked,
    m.Slot.status,
)


def slot_record(row: Row[Any]) -> SlotRecord:
    return SlotRecord(
        id=row.id,
        service_id=row.service_id,
        doctor_id=row.doctor_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        booked=row.booked,
        status=SlotStatus(row.status),
    )


class BookingSlots:
    """Slots: generated, listed, closed, and their seats taken and given back."""

    _s: AsyncSession

    async def slot_starts(self, start: datetime, end: datetime) -> set[tuple[int, datetime]]:
        """(service id, start) of every slot, open or closed, starting in [start, end)."""
        rows = await self._s.execute(
            select(m.Slot.service_id, m.Slot.starts_at).where(
                m.Slot.starts_at >= start, m.Slot.starts_at < end
            )
        )
        return {(service_id, starts_at) for service_id, starts_at in rows}

    async def add_slot(
        self,
        *,
        service_id: int,
        doctor_id: int | None,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
    ) -> bool:
        """False if the service already has a slot starting then (materialising twice)."""
        result = await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.Slot.__table__,
                {
                    "service_id": service_id,
                    "doctor_id": doctor_id,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "capacity": capacity,
                    "booked": 0,
                    "status": SlotStatus.OPEN.value,
                },
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def slot(self, slot_id: int) -> SlotRecord | None:
        row = (await self._s.execute(select(*SLOT_COLUMNS).where(m.Slot.id == slot_id))).first()
        return slot_record(row) if row else None

    async def open_slots(
        self, service_id: int, start: datetime, end: datetime
    ) -> list[SlotRecord]:
        """Open slots of a service starting in [start, end), by time."""
        rows = await self._s.execute(
            select(*SLOT_COLUMNS)
            .where(
                m.Slot.service_id == service_id,
                m.Slot.status == SlotStatus.OPEN.value,
                m.Slot.starts_at >= start,
                m.Slot.starts_at < end,
            )
            .order_by(m.Slot.starts_at, m.Slot.id)
        )
        return [slot_record(r) for r in rows]

    async def take_seat(self, slot_id: int) -> bool:
        """Takes one seat if the slot is open and not full. The only way a seat is taken."""
        result = await self._s.execute(
            update(m.Slot)
            .where(
                m.Slot.id == slot_id,
                m.Slot.status == SlotStatus.OPEN.value,
                m.Slot.booked < m.Slot.capacity,
            )
            .values(booked=m.Slot.booked + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_seat(self, slot_id: int) -> bool:
        result = await self._s.execute(
            update(m.Slot)
            .where(m.Slot.id == slot_id, m.Slot.booked > 0)
            .values(booked=m.Slot.booked - 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def centre_slot_ids(self, centre_id: int, start: datetime, end: datetime) -> list[int]:
        rows = await self._s.scalars(
            select(m.Slot.id)
            .join(m.BookableService, m.BookableService.id == m.Slot.service_id)
            .where(
                m.BookableService.centre_id == centre_id,
                m.Slot.starts_at >= start,
                m.Slot.starts_at < end,
            )
            .order_by(m.Slot.starts_at, m.Slot.id)
        )
        return list(rows)

    async def close_slots(self, slot_ids: Sequence[int]) -> None:
        """Closes slots (no seat can be taken after this); the caller cancels what they held."""
        if slot_ids:
            await self._s.execute(
                update(m.Slot)
                .where(m.Slot.id.in_(slot_ids))
                .values(status=SlotStatus.CLOSED.value, booked=0)
                .execution_options(synchronize_session=False)
            )
