"""Lots: what each earning left to spend, when it lapses, and what spent it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.points.mappers import LOT_COLUMNS, changed, lot_record
from jiayi.storage.records import PointsLotRecord


class PointsLots:
    """Lots and the allocations that spend them."""

    _s: AsyncSession

    async def add_lot(
        self, *, resident_id: int, entry_id: int, amount: int, expires_at: datetime
    ) -> int:
        lot_id = await self._s.scalar(
            insert(m.PointsLot)
            .values(
                resident_id=resident_id,
                entry_id=entry_id,
                amount=amount,
                remaining=amount,
                expires_at=expires_at,
            )
            .returning(m.PointsLot.id)
        )
        assert lot_id is not None
        return int(lot_id)

    async def lot_for_entry(self, entry_id: int) -> PointsLotRecord | None:
        row = (
            await self._s.execute(select(*LOT_COLUMNS).where(m.PointsLot.entry_id == entry_id))
        ).first()
        return lot_record(row) if row else None

    async def live_lots(self, resident_id: int, now: datetime) -> list[PointsLotRecord]:
        """Unexpired lots with points left, soonest-expiring first (the spending order)."""
        lot = m.PointsLot
        rows = await self._s.execute(
            select(*LOT_COLUMNS)
            .where(lot.resident_id == resident_id, lot.remaining > 0, lot.expires_at > now)
            .order_by(lot.expires_at, lot.id)
        )
        return [lot_record(r) for r in rows]

    async def lapsed_lots(
        self, now: datetime, *, resident_id: int | None = None, limit: int = 500
    ) -> list[PointsLotRecord]:
        """Lots past their expiry that still hold points."""
        lot = m.PointsLot
        query = select(*LOT_COLUMNS).where(lot.remaining > 0, lot.expires_at <= now)
        if resident_id is not None:
            query = query.where(lot.resident_id == resident_id)
        rows = await self._s.execute(query.order_by(lot.id).limit(limit))
        return [lot_record(r) for r in rows]

    async def expiring_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[int, datetime, int]]:
        """(resident id, expiry, points) of points expiring in [start, end)."""
        lot = m.PointsLot
        rows = await self._s.execute(
            select(lot.resident_id, lot.expires_at, func.sum(lot.remaining))
            .where(lot.remaining > 0, lot.expires_at >= start, lot.expires_at < end)
            .group_by(lot.resident_id, lot.expires_at)
            .order_by(lot.resident_id, lot.expires_at)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def take_from_lot(self, lot_id: int, amount: int) -> bool:
        result = await self._s.execute(
            update(m.PointsLot)
            .where(m.PointsLot.id == lot_id, m.PointsLot.remaining >= amount)
            .values(remaining=m.PointsLot.remaining - amount)
            .execution_options(synchronize_session=False)
        )
        return changed(result)

    async def give_back_to_lot(self, lot_id: int, amount: int) -> bool:
        lot = m.PointsLot
        result = await self._s.execute(
            update(lot)
            .where(lot.id == lot_id, lot.remaining + amount <= lot.amount)
            .values(remaining=lot.remaining + amount)
            .execution_options(synchronize_session=False)
        )
        return changed(result)

    async def add_allocation(self, entry_id: int, lot_id: int, amount: int) -> None:
        await self._s.execute(
            insert(m.PointsAllocation).values(entry_id=entry_id, lot_id=lot_id, amount=amount)
        )

    async def allocations(self, entry_id: int) -> list[tuple[int, int]]:
        """(lot id, points) taken by a ledger entry."""
        rows = await self._s.execute(
            select(m.PointsAllocation.lot_id, m.PointsAllocation.amount)
            .where(m.PointsAllocation.entry_id == entry_id)
            .order_by(m.PointsAllocation.id)
        )
        return [(r[0], r[1]) for r in rows]
