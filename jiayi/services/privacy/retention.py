"""Retention: old outbox rows pruned (delivered pushes counted first, anonymously)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput
from jiayi.services.privacy.registry import PUSHES_DELIVERED, PUSHES_UNDELIVERED
from jiayi.services.privacy.statistics import add_feedback, add_grouped
from jiayi.storage.uow import UnitOfWork


def months_before(instant: datetime, months: int) -> datetime:
    index = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


async def prune_outbox(uow: UnitOfWork, clock: Clock, months: int) -> int:
    """Deletes delivered pushes sent more than `months` ago (and the tip votes on them), and
    undelivered ones (skipped, cancelled, failed, blocked) due that long ago, keeping their
    counts per month and kind (votes per tip). Pending pushes stay. Returns rows deleted."""
    if months < 1:
        raise InvalidInput("retention_months")
    cutoff = months_before(clock.now().astimezone(UTC), months)
    async with uow:
        await uow.begin_write()
        await add_grouped(
            uow, PUSHES_DELIVERED, await uow.privacy.delivered_by_kind(sent_before=cutoff)
        )
        await add_grouped(uow, PUSHES_UNDELIVERED, await uow.privacy.undelivered_before(cutoff))
        await add_feedback(uow, await uow.privacy.feedback(sent_before=cutoff))
        pruned = await uow.privacy.prune_finished(cutoff)
        await uow.commit()
    return pruned
