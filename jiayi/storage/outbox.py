"""The outbox: set-based planning, lease-based claiming, result recording. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnExpressionArgument,
    MetaData,
    Row,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.consent import may_receive_pushes
from jiayi.storage.dialect import (
    insert_from_select_ignoring_duplicates,
    insert_ignoring_duplicates,
)
from jiayi.storage.records import (
    POSTPARTUM_DAYS,
    AudienceFilter,
    Condition,
    CoverageRow,
    Delivery,
    DeliveryResult,
    OutboxStatus,
    PregnancyStage,
    PushPreferences,
)

LIVE = (OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value, OutboxStatus.SENT.value)
# Rows per recording UPDATE: two bound parameters each (id, message id) stays far below
# SQLite's and asyncpg's limits on parameters per statement.
_RECORD_CHUNK = 500


# Residents behind the yearly target, worked out once per catch-up slot (see plan_catch_up).
# Not part of the schema: its own MetaData, so Alembic never sees it.
_BEHIND = Table(
    "catch_up_behind",
    MetaData(),
    Column("resident_id", BigInteger, primary_key=True),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@dataclass(frozen=True)
class _ResultGroup:
    """What a recorded row's new values depend on, apart from its Telegram message id."""

    status: OutboxStatus
    count_attempt: bool
    error: str | None
    retry_at: datetime | None


def _eligible(topic: str | None, consent_version: str | None = None):  # type: ignore[no-untyped-def]
    """Residents who may receive a push now: consented (to `consent_version`, when given, and
    not withdrawn), signed up, reachable, not paused, and not opted out of the topic."""
    r = m.Resident
    clauses: list[ColumnElement[bool]] = [may_receive_pushes(consent_version)]
    if topic is not None:
        clauses.append(
            ~exists().where(
                m.ResidentTopicOptOut.resident_id == r.id, m.ResidentTopicOptOut.topic == topic
            )
        )
    return and_(*clauses)


def _audience(audience: AudienceFilter, on_day: date):  # type: ignore[no-untyped-def]
    r = m.Resident
    clauses = []
    if audience.min_age is not None:
        # Birth year only: someone born in Y is counted as (day.year - Y) all year.
        clauses.append(r.birth_year <= on_day.year - audience.min_age)
    if audience.condition is not None:
        clauses.append(
            exists().where(
                m.ResidentCondition.resident_id == r.id,
                m.ResidentCondition.condition == audience.condition.value,
            )
        )
    if audience.carer_of_age is not None:
        clauses.append(
            exists().where(
                m.FamilyMember.resident_id == r.id,
                m.FamilyMember.relation.in_(("parent", "spouse")),
                m.FamilyMember.birth_date <= _years_before(on_day, audience.carer_of_age),
            )
        )
    if audience.pregnancy is PregnancyStage.PREGNANT:
        clauses.append(r.pregnancy_due >= on_day)
        clauses.append(
            exists().where(
                m.ResidentCondition.resident_id == r.id,
                m.ResidentCondition.condition == Condition.PREGNANT.value,
            )
        )
    elif audience.pregnancy is PregnancyStage.POSTPARTUM:
        clauses.append(r.pregnancy_due < on_day)
        clauses.append(r.pregnancy_due >= on_day - timedelta(days=POSTPARTUM_DAYS))
    if audience.child_under_years is not None:
        cutoff = _years_before(on_day, audience.child_under_years)
        clauses.append(
            exists().where(
                m.FamilyMember.resident_id == r.id,
                m.FamilyMember.relation == "child",
                m.FamilyMember.birth_date > cutoff,
            )
        )
    return and_(True, *clauses)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _recent_catch_up(since: datetime):  # type: ignore[no-untyped-def]
    """No catch-up tip from `since` on (any status that went or will go out)."""
    o = m.OutboxMessage
    return ~exists().where(
        o.resident_id == m.Resident.id,
        o.kind == "tip",
        o.status.in_(LIVE),
        o.not_before >= since,
        o.dedupe_key.startswith("catchup:"),
    )


def _live_tips_between(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    o = m.OutboxMessage
    return (
        select(func.count())
        .where(
            o.resident_id == m.Resident.id,
            o.kind == "tip",
            o.status.in_(LIVE),
            o.not_before >= start,
            o.not_before < end,
        )
        .correlate(m.Resident)
        .scalar_subquery()
    )


def _has_slot_row(
    dedupe_prefix: str, resident_id: ColumnExpressionArgument[int]
) -> ColumnElement[bool]:
    """The resident already has the row of this dedupe prefix (a probe of the unique index)."""
    o = m.OutboxMessage
    return exists().where(o.dedupe_key == literal(dedupe_prefix) + cast(resident_id, String))


def _planned_rows(
    dedupe_prefix: str, tip_id: str, payload: str, not_before: datetime, now: datetime
) -> Select[Any]:
    """SELECT producing one pending tip row per resident, in `_INSERT_COLUMNS` order."""
    r, o = m.Resident, m.OutboxMessage
    return select(
        r.id,
        literal("tip"),
        literal(dedupe_prefix) + cast(r.id, String),
        literal(tip_id),
        literal(payload),
        literal(not_before, o.not_before.type),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, o.created_at.type),
    )


_INSERT_COLUMNS = [
    "resident_id",
    "kind",
    "dedupe_key",
    "tip_id",
    "payload",
    "not_before",
    "status",
    "attempts",
    "created_at",
]


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


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # Which catch-up slot the `_BEHIND` table currently holds, in this session.
        self._behind_for: tuple[object, str, datetime, datetime, int, datetime | None] | None = (
            None
        )

    async def plan_tip(
        self,
        *,
        dedupe_prefix: str,
        tip_id: str,
        topic: str,
        audience: AudienceFilter,
        payload: str,
        not_before: datetime,
        now: datetime,
        on_day: date,
        consent_version: str | None = None,
    ) -> int:
        """One INSERT … SELECT for every matching resident; duplicates (same prefix + resident)
        are ignored, so running it again, or for a less specific variant, adds nothing."""
        query = _planned_rows(dedupe_prefix, tip_id, payload, not_before, now).where(
            _eligible(topic, consent_version), _audience(audience, on_day)
        )
        return await self._insert(query)

    async def attach_household(
        self,
        *,
        dedupe_prefix: str,
        tip_id: str,
        audience: AudienceFilter,
        old_payload: str,
        new_payload: str,
        on_day: date,
    ) -> int:
        """Adds a household section to tip rows already planned under `dedupe_prefix` for the
        residents `audience` matches: one message carries both parts, not two pushes."""
        o, r = m.OutboxMessage, m.Resident
        matching = select(r.id).where(_audience(audience, on_day))
        result = await self._s.execute(
            update(o)
            .where(
                o.tip_id == tip_id,
                o.status == OutboxStatus.PENDING.value,
                o.payload == old_payload,
                o.dedupe_key == literal(dedupe_prefix) + cast(o.resident_id, String),
                o.resident_id.in_(matching),
            )
            .values(payload=new_payload)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def plan_catch_up(
        self,
        *,
        dedupe_prefix: str,
        tip_id: str,
        topic: str,
        audience: AudienceFilter,
        payload: str,
        not_before: datetime,
        now: datetime,
        on_day: date,
        year_start: datetime,
        year_end: datetime,
        target: int,
        consent_version: str | None = None,
        quiet_from: datetime | None = None,
    ) -> int:
        """Tops up residents who are behind the year's target with a tip they haven't had
        this year. The prefix holds the day (and slot), so one catch-up per resident each.
        With `quiet_from`, a resident who had a catch-up tip from then on is left out:
        catch-up is spread out, not a flood.

        Who is behind is worked out once per prefix (the first call with it in this unit of
        work), not once per tip variant: within a slot a resident's count only grows by the
        row this slot gives them, and after that the prefix's dedupe key keeps them out anyway.
        """
        r = m.Resident
        o = m.OutboxMessage
        await self._find_behind(dedupe_prefix, year_start, year_end, target, quiet_from)
        already_had = exists().where(
            o.resident_id == r.id,
            o.tip_id == tip_id,
            o.status.in_(LIVE),
            o.not_before >= year_start,
            o.not_before < year_end,
        )
        query = (
            _planned_rows(dedupe_prefix, tip_id, payload, not_before, now)
            .join(_BEHIND, _BEHIND.c.resident_id == r.id)
            .where(_eligible(topic, consent_version), _audience(audience, on_day), ~already_had)
        )
        created = await self._insert(query)
        if created:
            # Those just given their catch-up in this slot are done: the later variants need
            # not look at them again (their inserts would be ignored as duplicates anyway).
            await self._s.execute(
                delete(_BEHIND).where(_has_slot_row(dedupe_prefix, _BEHIND.c.resident_id))
            )
        return created

    async def _find_behind(
        self,
        dedupe_prefix: str,
        year_start: datetime,
        year_end: datetime,
        target: int,
        quiet_from: datetime | None = None,
    ) -> None:
        # The table lives as long as the transaction (on PostgreSQL): a new one starts over.
        key = (self._s.get_transaction(), dedupe_prefix, year_start, year_end, target, quiet_from)
        if self._behind_for == key:
            return
        # A temporary table: PostgreSQL drops it at commit (or rollback); SQLite's goes with
        # the connection, and is dropped here first in case the connection is reused.
        await self._s.execute(text(f"DROP TABLE IF EXISTS {_BEHIND.name}"))
        await self._s.run_sync(lambda session: _BEHIND.create(session.connection()))
        r = m.Resident
        await self._s.execute(
            _BEHIND.insert().from_select(
                ["resident_id"],
                select(r.id).where(
                    _eligible(None),
                    ~_has_slot_row(dedupe_prefix, r.id),
                    _live_tips_between(year_start, year_end) < target,
                    *([] if quiet_from is None else [_recent_catch_up(quiet_from)]),
                ),
            )
        )
        # The planner needs its size to join it well (nothing analyses temporary tables).
        await self._s.execute(text(f"ANALYZE {_BEHIND.name}"))
        self._behind_for = key

    async def _insert(self, query: Select[Any]) -> int:
        statement = insert_from_select_ignoring_duplicates(
            self._s, m.OutboxMessage.__table__, _INSERT_COLUMNS, query
        )
        result = await self._s.execute(statement)
        return max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]

    async def enqueue(
        self,
        *,
        resident_id: int | None,
        kind: str,
        dedupe_key: str,
        payload: str,
        not_before: datetime,
        now: datetime,
        tip_id: str | None = None,
        doctor_id: int | None = None,
    ) -> bool:
        """One push for one resident (or, with `doctor_id` and no resident, for a doctor);
        False if that dedupe key was already queued."""
        statement = insert_ignoring_duplicates(
            self._s,
            m.OutboxMessage.__table__,
            {
                "resident_id": resident_id,
                "doctor_id": doctor_id,
                "kind": kind,
                "dedupe_key": dedupe_key,
                "tip_id": tip_id,
                "payload": payload,
                "not_before": not_before,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "created_at": now,
            },
        )
        result = await self._s.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

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


class PushRepository:
    """Residents' push preferences, tip feedback, and the record of planned days."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def preferences(self, resident_id: int) -> PushPreferences:
        r = await self._s.get(m.Resident, resident_id)
        assert r is not None
        topics = await self._s.scalars(
            select(m.ResidentTopicOptOut.topic).where(
                m.ResidentTopicOptOut.resident_id == resident_id
            )
        )
        return PushPreferences(
            paused=r.pushes_paused_at is not None,
            quiet_start=r.quiet_start,
            quiet_end=r.quiet_end,
            opted_out_topics=frozenset(topics),
        )

    async def set_paused(self, resident_id: int, paused_at: datetime | None) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(pushes_paused_at=paused_at)
        )

    async def set_quiet_hours(self, resident_id: int, start: int, end: int) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(quiet_start=start, quiet_end=end)
        )

    async def set_topic_opt_out(self, resident_id: int, topic: str, opted_out: bool) -> None:
        await self._s.execute(
            delete(m.ResidentTopicOptOut).where(
                m.ResidentTopicOptOut.resident_id == resident_id,
                m.ResidentTopicOptOut.topic == topic,
            )
        )
        if opted_out:
            self._s.add(m.ResidentTopicOptOut(resident_id=resident_id, topic=topic))
            await self._s.flush()

    async def mark_reachable(self, resident_id: int) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(reachable=True, unreachable_since=None)
        )

    async def record_feedback(
        self, *, outbox_id: int, resident_id: int, tip_id: str, helpful: bool, now: datetime
    ) -> None:
        await self._s.execute(delete(m.TipFeedback).where(m.TipFeedback.outbox_id == outbox_id))
        self._s.add(
            m.TipFeedback(
                outbox_id=outbox_id,
                resident_id=resident_id,
                tip_id=tip_id,
                helpful=helpful,
                created_at=now,
            )
        )
        await self._s.flush()

    async def feedback_counts(self, tip_id: str) -> tuple[int, int]:
        f = m.TipFeedback
        up = await self._s.scalar(
            select(func.count()).where(f.tip_id == tip_id, f.helpful.is_(True))
        )
        down = await self._s.scalar(
            select(func.count()).where(f.tip_id == tip_id, f.helpful.is_(False))
        )
        return int(up or 0), int(down or 0)

    async def planned_days(self, start: date, end: date) -> set[date]:
        rows = await self._s.scalars(
            select(m.PlanRun.day).where(m.PlanRun.day >= start, m.PlanRun.day <= end)
        )
        return set(rows)

    async def mark_planned(self, day: date, now: datetime, created: int) -> None:
        await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.PlanRun.__table__,
                {"day": day, "planned_at": now, "created": created},
            )
        )
