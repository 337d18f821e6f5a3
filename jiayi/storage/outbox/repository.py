"""`OutboxRepository`: planning and delivery, plus what is queued and withdrawing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.outbox.delivery import OutboxDelivery
from jiayi.storage.outbox.planning import LIVE, OutboxPlanning
from jiayi.storage.records import CoverageRow, OutboxStatus

# Household care cards: one outbox row whose payload holds several reminders, each under its
# own dedupe key (services.careplans).


@dataclass(frozen=True, slots=True)
class CardEdit:
    """How to take items out of a queued card (one row carrying several pushes, each with its
    own dedupe key) without storage knowing the payload's format: the push family that writes
    cards provides it (services/push/care.py)."""

    marker: str  # text only a card's payload contains
    mentions: Callable[[str], str]  # text a card contains when an item's key has the prefix
    # (payload, prefix) -> (the payload with those items withdrawn, whether any item is left),
    # or None when no item under the prefix is still shown.
    withdraw: Callable[[str, str], tuple[str, bool] | None]


class OutboxRepository(OutboxPlanning, OutboxDelivery):
    """The outbox table. Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # Which catch-up slot the `_BEHIND` table currently holds, in this session.
        self._behind_for: tuple[object, str, datetime, datetime, int, datetime | None] | None = (
            None
        )

    async def next_pending(
        self, resident_id: int, kind: str
    ) -> tuple[str | None, datetime] | None:
        o = m.OutboxMessage
        row = (
            await self._s.execute(
                select(o.tip_id, o.not_before)
                .where(
                    o.resident_id == resident_id,
                    o.kind == kind,
                    o.status.in_((OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value)),
                )
                .order_by(o.not_before)
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def tip_year(
        self, resident_id: int, year_start: datetime, year_end: datetime
    ) -> tuple[int, datetime | None, frozenset[str]]:
        """The resident's tips of a year that went or will go out: how many, when their latest
        catch-up tip was due (None: no catch-up that year), and which tips they were."""
        o = m.OutboxMessage
        rows = (
            await self._s.execute(
                select(o.tip_id, o.not_before, o.dedupe_key).where(
                    o.resident_id == resident_id,
                    o.kind == "tip",
                    o.status.in_(LIVE),
                    o.not_before >= year_start,
                    o.not_before < year_end,
                )
            )
        ).all()
        catch_ups = [at for _, at, key in rows if key.startswith("catchup:")]
        tips = frozenset(tip for tip, _, _ in rows if tip is not None)
        return len(rows), max(catch_ups, default=None), tips

    async def count(self, *, status: OutboxStatus | None = None, kind: str | None = None) -> int:
        o = m.OutboxMessage
        query = select(func.count()).select_from(o)
        if status is not None:
            query = query.where(o.status == status.value)
        if kind is not None:
            query = query.where(o.kind == kind)
        return int(await self._s.scalar(query) or 0)

    async def coverage(self, start: datetime, end: datetime) -> list[CoverageRow]:
        """Delivered tips per signed-up resident within [start, end), with their doctor."""
        o, r = m.OutboxMessage, m.Resident
        delivered = (
            select(func.count())
            .where(
                o.resident_id == r.id,
                o.kind == "tip",
                o.status == OutboxStatus.SENT.value,
                o.sent_at >= start,
                o.sent_at < end,
            )
            .correlate(r)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            select(
                r.id,
                m.Doctor.id,
                m.Doctor.display_name,
                delivered,
                r.reachable,
                case((r.pushes_paused_at.is_(None), False), else_=True),
            )
            .outerjoin(
                m.Contract, and_(m.Contract.resident_id == r.id, m.Contract.ended_at.is_(None))
            )
            .outerjoin(m.Doctor, m.Doctor.id == m.Contract.doctor_id)
            .where(r.onboarded_at.is_not(None))
            .order_by(m.Doctor.id, r.id)
        )
        return [
            CoverageRow(
                resident_id=rid,
                doctor_id=did,
                doctor_name=dname,
                delivered=int(count),
                reachable=bool(reachable),
                paused=bool(paused),
            )
            for rid, did, dname, count, reachable, paused in rows
        ]

    async def cancel_pending(self, dedupe_prefix: str, *, cards: CardEdit | None = None) -> int:
        """Withdraws queued, not yet claimed pushes whose dedupe key starts with the prefix.

        With `cards`, a card covering several keys keeps its other items: the items under the
        prefix are marked withdrawn (not shown), and the card goes only when none is left."""
        o = m.OutboxMessage
        query = update(o).where(
            o.dedupe_key.startswith(dedupe_prefix, autoescape=True),
            o.status == OutboxStatus.PENDING.value,
        )
        if cards is not None:
            query = query.where(~o.payload.contains(cards.marker, autoescape=True))
        result = await self._s.execute(
            query.values(status=OutboxStatus.CANCELLED.value).execution_options(
                synchronize_session=False
            )
        )
        withdrawn = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if cards is None:
            return withdrawn
        return withdrawn + await self._withdraw_from_cards(dedupe_prefix, cards)

    async def _withdraw_from_cards(self, dedupe_prefix: str, cards: CardEdit) -> int:
        o = m.OutboxMessage
        withdrawn = 0
        found = await self._s.execute(
            select(o.id, o.payload).where(
                o.status == OutboxStatus.PENDING.value,
                o.payload.contains(cards.marker, autoescape=True),
                o.payload.contains(cards.mentions(dedupe_prefix), autoescape=True),
            )
        )
        for outbox_id, payload in found.tuples():
            edited = cards.withdraw(payload, dedupe_prefix)
            if edited is None:
                continue
            smaller, left = edited
            values: dict[str, str] = (
                {"payload": smaller} if left else {"status": OutboxStatus.CANCELLED.value}
            )
            # Only while still queued: a card the dispatcher claimed meanwhile is left alone.
            done = await self._s.execute(
                update(o)
                .where(
                    o.id == outbox_id,
                    o.status == OutboxStatus.PENDING.value,
                    o.payload == payload,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            withdrawn += int(done.rowcount or 0) if not left else 0  # type: ignore[attr-defined]
        return withdrawn
