"""`PointsRepository`: the health-points queries, by idea in the modules beside this one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage.points.ledger import PointsLedger
from jiayi.storage.points.lots import PointsLots
from jiayi.storage.points.rewards import PointsRewards
from jiayi.storage.points.vouchers import PointsVouchers


class PointsRepository(PointsLedger, PointsLots, PointsRewards, PointsVouchers):
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
