"""Lease-based claiming of due rows and recording of what Telegram answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Row, and_, case, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.records import Delivery, DeliveryResult, OutboxStatus

# Rows per recording UPDATE: two bound parameters each (id, message id) stays far below
# SQLite's and asyncpg's limits on parameters per statement.
_RECORD_CHUNK = 500


@dataclass(frozen=True)
class _ResultGroup:
    """What a recorded row's new values depend on, apart from its Telegram message id."""

    status: OutboxStatus
    count_attempt: bool
    error: str | None
    retry_at: datetime | None


def _held(lease_until: datetime | None) -> ColumnElement[bool]:
    """Rows still claimed, and with this lease when given (a claim's lease end is its token:
    a row claimed again after the lease ran out gets a later one)."""
    o = m.OutboxMessage
    claimed = o.status == OutboxStatus.CLAIMED.value
    return claimed if lease_until is None else and_(claimed, o.claimed_until == lease_until)


def _doctor_delivery(row: Row[Any]) -> Delivery:
    """A push for a doctor: sent to their bound account, in their language, with the
    default quiet hours; an unbound or inactive doctor is unreachable."""
    return Delivery(
        outbox_id=row.id,
        kind=row.kind,
        tip_id=row.tip_id,
        payload=row.payload,
        attempts=row.attempts,
        resident_id=None,
        doctor_id=row.doctor_id,
        telegram_user_id=row.doctor_telegram_user_id or 0,
        locale=row.doctor_locale or "",
        display_name=row.doctor_display_name,
        birth_year=None,
        reachable=row.doctor_telegram_user_id is not None and bool(row.doctor_active),
        paused=False,
        quiet_start=m.DEFAULT_QUIET_START,
        quiet_end=m.DEFAULT_QUIET_END,
        doctor_name=row.doctor_display_name,
        opted_out_topics=frozenset(),
        doctor_all_hours=bool(row.doctor_all_hours),
    )


class OutboxDelivery:
    """The dispatcher's half of `OutboxRepository`: claim, record, release."""

    _s: AsyncSession

    async def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Claims due rows (and rows whose lease ran out) for this dispatcher.

        PostgreSQL skips rows another dispatcher holds (FOR UPDATE SKIP LOCKED); SQLite has one
        writer at a time, so the caller's BEGIN IMMEDIATE does the same job there.
        """
        o = m.OutboxMessage
        due = or_(
            and_(o.status == OutboxStatus.PENDING.value, o.not_before <= now),
            and_(o.status == OutboxStatus.CLAIMED.value, o.claimed_until < now),
        )
        ids = list(
            await self._s.scalars(
                select(o.id)
                .where(due)
                .order_by(o.not_before, o.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        await self._s.execute(
            update(o)
            .where(o.id.in_(ids))
            .values(status=OutboxStatus.CLAIMED.value, claimed_until=now + lease)
        )
        return await self._deliveries(ids)

    async def _deliveries(self, ids: Sequence[int]) -> list[Delivery]:
        o, r, d = m.OutboxMessage, m.Resident, m.Doctor
        doctor_name = (
            select(m.Doctor.display_name)
            .join(m.Contract, m.Contract.doctor_id == m.Doctor.id)
            .where(m.Contract.resident_id == r.id, m.Contract.ended_at.is_(None))
            .correlate(r)
            .limit(1)
            .scalar_subquery()
        )
        # A row addresses a resident or a doctor (digests); the chat and language come from
        # whichever it is. Plain columns, not ORM objects: building and tracking an object
        # per row cost more than the query itself.
        rows = (
            await self._s.execute(
                select(
                    o.id,
                    o.kind,
                    o.tip_id,
                    o.payload,
                    o.attempts,
                    o.resident_id,
                    o.doctor_id,
                    r.telegram_user_id,
                    r.locale,
                    r.display_name,
                    r.birth_year,
                    r.reachable,
                    r.pushes_paused_at.is_not(None).label("paused"),
                    r.consent_withdrawn_at.is_not(None).label("withdrawn"),
                    r.quiet_start,
                    r.quiet_end,
                    doctor_name.label("doctor_name"),
                    d.telegram_user_id.label("doctor_telegram_user_id"),
                    d.locale.label("doctor_locale"),
                    d.display_name.label("doctor_display_name"),
                    d.active.label("doctor_active"),
                    d.urgent_alerts_all_hours.label("doctor_all_hours"),
                )
                .outerjoin(r, r.id == o.resident_id)
                .outerjoin(d, d.id == o.doctor_id)
                .where(o.id.in_(ids))
                .order_by(o.not_before, o.id)
            )
        ).all()
        resident_ids = {row.resident_id for row in rows if row.resident_id is not None}
        optouts = await self._per_resident(m.ResidentTopicOptOut, "topic", resident_ids)
        conditions = await self._per_resident(m.ResidentCondition, "condition", resident_ids)
        deliveries = []
        for row in rows:
            if row.resident_id is None:
                deliveries.append(_doctor_delivery(row))
                continue
            deliveries.append(
                Delivery(
                    outbox_id=row.id,
                    kind=row.kind,
                    tip_id=row.tip_id,
                    payload=row.payload,
                    attempts=row.attempts,
                    resident_id=row.resident_id,
                    telegram_user_id=row.telegram_user_id,
                    locale=row.locale,
                    display_name=row.display_name,
                    birth_year=row.birth_year,
                    reachable=bool(row.reachable),
                    paused=bool(row.paused),
                    # Withdrawn consent stops every message, even a doctor's answer.
                    withdrawn=bool(row.withdrawn),
                    quiet_start=row.quiet_start,
                    quiet_end=row.quiet_end,
                    doctor_name=row.doctor_name,
                    opted_out_topics=frozenset(optouts[row.resident_id]),
                    conditions=frozenset(conditions[row.resident_id]),
                )
            )
        return deliveries

    async def _per_resident(
        self,
        model: type[m.ResidentTopicOptOut] | type[m.ResidentCondition],
        column: str,
        resident_ids: set[int],
    ) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {i: set() for i in resident_ids}
        if resident_ids:
            value = getattr(model, column)
            for resident_id, item in await self._s.execute(
                select(model.resident_id, value).where(model.resident_id.in_(resident_ids))
            ):
                found[resident_id].add(item)
        return found

    async def record(
        self,
        results: Iterable[DeliveryResult],
        now: datetime,
        *,
        lease_until: datetime | None = None,
    ) -> None:
        """Writes results: one UPDATE per group of rows that get the same new values (mostly
        one group, "sent"), and one for the residents who blocked the bot.

        A message Telegram accepted is a fact: "sent" is written over "claimed" or "pending"
        whoever holds the row now, so nobody sends it again. Any other result changes only
        rows this dispatcher still holds: status "claimed" and, given `lease_until`, the lease
        it claimed them with (a lease that ran out may be someone else's now).
        """
        groups: dict[_ResultGroup, list[DeliveryResult]] = defaultdict(list)
        blocked: set[int] = set()
        for result in results:
            error = result.error[:200] if result.error is not None else None
            groups[
                _ResultGroup(result.status, result.count_attempt, error, result.retry_at)
            ].append(result)
            if result.status is OutboxStatus.BLOCKED and result.resident_id is not None:
                blocked.add(result.resident_id)
        for group, members in groups.items():
            for start in range(0, len(members), _RECORD_CHUNK):
                await self._record_group(
                    group, members[start : start + _RECORD_CHUNK], now, lease_until
                )
        if blocked:
            r = m.Resident
            await self._s.execute(
                update(r)
                .where(r.id.in_(sorted(blocked)), r.reachable.is_(True))
                .values(reachable=False, unreachable_since=now)
                .execution_options(synchronize_session=False)
            )

    async def _record_group(
        self,
        group: _ResultGroup,
        members: list[DeliveryResult],
        now: datetime,
        lease_until: datetime | None,
    ) -> None:
        o = m.OutboxMessage
        values: dict[str, Any] = {"status": group.status.value, "claimed_until": None}
        if group.count_attempt:
            values["attempts"] = o.attempts + 1
        if group.error is not None:
            values["last_error"] = group.error
        if group.retry_at is not None:
            values["not_before"] = group.retry_at
        if group.status is OutboxStatus.SENT:
            values["sent_at"] = now
            # Each sent row keeps its own Telegram message id: a CASE on the id carries them
            # in the same statement (portable; no UPDATE … FROM VALUES needed).
            message_ids = {r.outbox_id: r.message_id for r in members if r.message_id is not None}
            if message_ids:
                values["telegram_message_id"] = case(
                    {
                        outbox_id: literal(message_id, BigInteger())
                        for outbox_id, message_id in message_ids.items()
                    },
                    value=o.id,
                    else_=null(),
                )
            else:
                values["telegram_message_id"] = None
        held: ColumnElement[bool]
        if group.status is OutboxStatus.SENT:
            held = o.status.in_((OutboxStatus.CLAIMED.value, OutboxStatus.PENDING.value))
        else:
            held = _held(lease_until)
        await self._s.execute(
            update(o)
            .where(o.id.in_([r.outbox_id for r in members]), held)
            .values(**values)
            # Nothing of these rows is loaded in this session: no objects to keep in step.
            .execution_options(synchronize_session=False)
        )

    async def release(self, outbox_ids: Sequence[int], *, lease_until: datetime) -> int:
        """Gives back claimed rows that were never sent (shutdown, a lease running short):
        due again at once, no attempt counted. Only rows still held with this lease."""
        o = m.OutboxMessage
        released = 0
        for start in range(0, len(outbox_ids), _RECORD_CHUNK):
            result = await self._s.execute(
                update(o)
                .where(o.id.in_(outbox_ids[start : start + _RECORD_CHUNK]), _held(lease_until))
                .values(status=OutboxStatus.PENDING.value, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            released += max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
        return released

    async def get(self, outbox_id: int) -> tuple[int, str | None, str] | None:
        """(resident_id, tip_id, status) of one row."""
        o = m.OutboxMessage
        row = (
            await self._s.execute(
                select(o.resident_id, o.tip_id, o.status).where(o.id == outbox_id)
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def tip_row(self, outbox_id: int) -> tuple[int, str, str] | None:
        """(resident_id, tip_id, payload) of a tip row; None for other kinds."""
        o = m.OutboxMessage
        row = (
            await self._s.execute(
                select(o.resident_id, o.tip_id, o.payload).where(
                    o.id == outbox_id, o.kind == "tip"
                )
            )
        ).first()
        return (row[0], row[1], row[2]) if row and row[1] else None
