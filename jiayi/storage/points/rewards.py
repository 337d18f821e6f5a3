"""A centre's rewards and their stock."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.points.mappers import REWARD_COLUMNS, changed, reward_record
from jiayi.storage.records import RewardRecord


class PointsRewards:
    """Rewards: listed, added, updated, and their stock taken and returned."""

    _s: AsyncSession

    async def reward(self, reward_id: int) -> RewardRecord | None:
        row = (
            await self._s.execute(select(*REWARD_COLUMNS).where(m.PointsReward.id == reward_id))
        ).first()
        return reward_record(row) if row else None

    async def reward_by_code(self, centre_id: int, code: str) -> RewardRecord | None:
        row = (
            await self._s.execute(
                select(*REWARD_COLUMNS).where(
                    m.PointsReward.centre_id == centre_id, m.PointsReward.code == code
                )
            )
        ).first()
        return reward_record(row) if row else None

    async def rewards(self, centre_id: int) -> list[RewardRecord]:
        rows = await self._s.execute(
            select(*REWARD_COLUMNS)
            .where(m.PointsReward.centre_id == centre_id, m.PointsReward.active.is_(True))
            .order_by(m.PointsReward.cost, m.PointsReward.id)
        )
        return [reward_record(r) for r in rows]

    async def add_reward(
        self,
        *,
        centre_id: int,
        code: str,
        name_zh: str,
        name_en: str,
        cost: int,
        stock: int,
        valid_days: int,
    ) -> int:
        reward_id = await self._s.scalar(
            insert(m.PointsReward)
            .values(
                centre_id=centre_id,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                cost=cost,
                stock=stock,
                valid_days=valid_days,
            )
            .returning(m.PointsReward.id)
        )
        assert reward_id is not None
        return int(reward_id)

    async def update_reward(self, reward_id: int, **values: object) -> None:
        await self._s.execute(
            update(m.PointsReward)
            .where(m.PointsReward.id == reward_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def take_stock(self, reward_id: int) -> bool:
        """One item off the shelf if there is one and the reward is offered."""
        r = m.PointsReward
        result = await self._s.execute(
            update(r)
            .where(r.id == reward_id, r.stock > 0, r.active.is_(True))
            .values(stock=r.stock - 1)
            .execution_options(synchronize_session=False)
        )
        return changed(result)

    async def return_stock(self, reward_id: int) -> None:
        r = m.PointsReward
        await self._s.execute(
            update(r)
            .where(r.id == reward_id)
            .values(stock=r.stock + 1)
            .execution_options(synchronize_session=False)
        )
