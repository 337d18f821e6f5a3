"""Anonymised statistics (table statistic_counts): what erasure and retention keep as counts,
and reading them back."""

from __future__ import annotations

from datetime import datetime

from jiayi.services.privacy.registry import TIP_HELPFUL, TIP_UNHELPFUL, month_of
from jiayi.storage.uow import UnitOfWork


async def add_grouped(uow: UnitOfWork, metric: str, items: list[tuple[datetime, str]]) -> None:
    counts: dict[tuple[str, str], int] = {}
    for at, dimension in items:
        key = (month_of(at), dimension)
        counts[key] = counts.get(key, 0) + 1
    for (period, dimension), count in sorted(counts.items()):
        await uow.privacy.add_count(metric, period, dimension, count)


async def add_feedback(uow: UnitOfWork, votes: list[tuple[datetime, str, bool]]) -> None:
    await add_grouped(uow, TIP_HELPFUL, [(at, tip) for at, tip, helpful in votes if helpful])
    await add_grouped(uow, TIP_UNHELPFUL, [(at, tip) for at, tip, helpful in votes if not helpful])


async def statistics(uow: UnitOfWork, metric: str) -> dict[tuple[str, str], int]:
    """Anonymised counts of `metric` by (month, dimension)."""
    async with uow:
        return await uow.privacy.counts(metric)


async def all_statistics(uow: UnitOfWork) -> list[tuple[str, str, str, int]]:
    """Every anonymised count as (metric, month, dimension, count), for the operator."""
    async with uow:
        return await uow.privacy.all_counts()
