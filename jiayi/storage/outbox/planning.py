"""Set-based planning: which residents a tip or a catch-up goes to, inserted in one
statement each, and single enqueued pushes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnExpressionArgument,
    MetaData,
    Select,
    String,
    Table,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.audience import has_child_under, years_before
from jiayi.storage.consent import may_receive_pushes
from jiayi.storage.dialect import (
    insert_from_select_ignoring_duplicates,
    insert_ignoring_duplicates,
)
from jiayi.storage.records import (
    POSTPARTUM_DAYS,
    AudienceFilter,
    Condition,
    OutboxStatus,
    PregnancyStage,
)

LIVE = (OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value, OutboxStatus.SENT.value)


# Residents behind the yearly target, worked out once per catch-up slot (see plan_catch_up).
# Not part of the schema: its own MetaData, so Alembic never sees it.
_BEHIND = Table(
    "catch_up_behind",
    MetaData(),
    Column("resident_id", BigInteger, primary_key=True),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


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
                m.FamilyMember.birth_date <= years_before(on_day, audience.carer_of_age),
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
        clauses.append(has_child_under(audience.child_under_years, on_day))
    return and_(True, *clauses)


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


class OutboxPlanning:
    """The planning half of `OutboxRepository`."""

    _s: AsyncSession
    _behind_for: tuple[object, str, datetime, datetime, int, datetime | None] | None

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
