"""Vouchers: rewards redeemed, until used, cancelled or lapsed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.points.mappers import changed, voucher_record, vouchers_query
from jiayi.storage.records import VoucherRecord, VoucherStatus


class PointsVouchers:
    """Vouchers: issued, looked up, closed, lapsed."""

    _s: AsyncSession

    async def add_voucher(
        self,
        *,
        resident_id: int,
        reward_id: int,
        code: str,
        cost: int,
        spend_entry_id: int,
        valid_until: datetime,
        now: datetime,
    ) -> int | None:
        """None if the code is taken (the caller draws another)."""
        voucher_id = await self._s.scalar(
            insert_ignoring_duplicates(
                self._s,
                m.PointsVoucher.__table__,
                {
                    "resident_id": resident_id,
                    "reward_id": reward_id,
                    "code": code,
                    "cost": cost,
                    "spend_entry_id": spend_entry_id,
                    "status": VoucherStatus.ACTIVE.value,
                    "valid_until": valid_until,
                    "created_at": now,
                },
            ).returning(m.PointsVoucher.__table__.c.id)
        )
        return int(voucher_id) if voucher_id is not None else None

    async def voucher(self, voucher_id: int) -> VoucherRecord | None:
        row = (
            await self._s.execute(vouchers_query().where(m.PointsVoucher.id == voucher_id))
        ).first()
        return voucher_record(row) if row else None

    async def voucher_by_code(self, code: str) -> VoucherRecord | None:
        row = (await self._s.execute(vouchers_query().where(m.PointsVoucher.code == code))).first()
        return voucher_record(row) if row else None

    async def vouchers_for(
        self, resident_id: int, statuses: Iterable[VoucherStatus] | None = None
    ) -> list[VoucherRecord]:
        query = vouchers_query().where(m.PointsVoucher.resident_id == resident_id)
        if statuses is not None:
            query = query.where(m.PointsVoucher.status.in_([s.value for s in statuses]))
        rows = await self._s.execute(
            query.order_by(m.PointsVoucher.created_at.desc(), m.PointsVoucher.id.desc())
        )
        return [voucher_record(r) for r in rows]

    async def close_voucher(
        self,
        voucher_id: int,
        to: VoucherStatus,
        now: datetime,
        *,
        valid_at: datetime | None = None,
        doctor_id: int | None = None,
    ) -> bool:
        """Moves an active voucher on, once. `valid_at`: only if still valid at that time;
        `doctor_id`: who redeemed it."""
        v = m.PointsVoucher
        query = update(v).where(v.id == voucher_id, v.status == VoucherStatus.ACTIVE.value)
        if valid_at is not None:
            query = query.where(v.valid_until > valid_at)
        result = await self._s.execute(
            query.values(status=to.value, closed_at=now, redeemed_by=doctor_id).execution_options(
                synchronize_session=False
            )
        )
        return changed(result)

    async def lapsed_vouchers(self, now: datetime, limit: int = 500) -> list[int]:
        v = m.PointsVoucher
        rows = await self._s.scalars(
            select(v.id)
            .where(v.status == VoucherStatus.ACTIVE.value, v.valid_until <= now)
            .order_by(v.id)
            .limit(limit)
        )
        return list(rows)
