"""The operator's view of a centre's rewards and the vouchers issued for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.points.mappers import (
    REWARD_COLUMNS,
    reward_record,
    voucher_record,
    vouchers_query,
)
from jiayi.storage.records import RewardRecord, VoucherRecord, VoucherStatus


@dataclass(frozen=True, slots=True)
class VoucherFilter:
    status: VoucherStatus | None = None
    reward_id: int | None = None
    issued_from: datetime | None = None  # inclusive
    issued_before: datetime | None = None  # exclusive


class RewardsAdminRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def rewards(self, centre_id: int) -> list[RewardRecord]:
        """Every reward of the centre, offered or not."""
        rows = await self._s.execute(
            select(*REWARD_COLUMNS)
            .where(m.PointsReward.centre_id == centre_id)
            .order_by(m.PointsReward.active.desc(), m.PointsReward.cost, m.PointsReward.id)
        )
        return [reward_record(r) for r in rows]

    async def voucher_counts(self, centre_id: int) -> dict[tuple[int, VoucherStatus], int]:
        v, r = m.PointsVoucher, m.PointsReward
        rows = await self._s.execute(
            select(v.reward_id, v.status, func.count())
            .join(r, r.id == v.reward_id)
            .where(r.centre_id == centre_id)
            .group_by(v.reward_id, v.status)
        )
        return {(int(rid), VoucherStatus(status)): int(n) for rid, status, n in rows}

    async def vouchers(
        self, centre_id: int, wanted: VoucherFilter, *, limit: int, offset: int
    ) -> tuple[list[VoucherRecord], int]:
        v = m.PointsVoucher
        query = vouchers_query().where(m.PointsReward.centre_id == centre_id)
        if wanted.status is not None:
            query = query.where(v.status == wanted.status.value)
        if wanted.reward_id is not None:
            query = query.where(v.reward_id == wanted.reward_id)
        if wanted.issued_from is not None:
            query = query.where(v.created_at >= wanted.issued_from)
        if wanted.issued_before is not None:
            query = query.where(v.created_at < wanted.issued_before)
        total = await self._s.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self._s.execute(
            query.order_by(v.created_at.desc(), v.id.desc()).limit(limit).offset(offset)
        )
        return [voucher_record(r) for r in rows], int(total or 0)
