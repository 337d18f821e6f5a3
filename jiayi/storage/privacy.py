"""Queries behind data rights: export rows, erasure, anonymised counts, take-over links.

Erasure and the export dump are generic over the metadata: a table that references residents
or family members is found by its foreign keys, so tables added later are covered without new
code here. Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.records import AppointmentStatus, OutboxStatus, WaitlistStatus

SUBJECT_TABLES = ("residents", "family_members")
PENDING = (OutboxStatus.PENDING.value,)
UNDELIVERED = tuple(
    s.value
    for s in (
        OutboxStatus.FAILED,
        OutboxStatus.BLOCKED,
        OutboxStatus.SKIPPED,
        OutboxStatus.CANCELLED,
    )
)


def subject_columns(table: Table) -> list[tuple[str, str, str | None]]:
    """(column, referred table, ON DELETE) for every column of `table` that points at a
    resident or a family member."""
    found = []
    for fk in table.foreign_keys:
        if fk.column.table.name in SUBJECT_TABLES:
            found.append((fk.parent.name, fk.column.table.name, fk.ondelete))
    return found


def json_value(value: object) -> object:
    """A column value as JSON can hold it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


class PrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # --- export -------------------------------------------------------------------------

    async def rows_about(
        self,
        table_name: str,
        resident_id: int,
        member_ids: Sequence[int],
        *,
        omit: Iterable[str] = (),
    ) -> list[dict[str, object]]:
        """Every row of the table that references the resident or one of their members, as
        JSON-ready dicts (ids included, so rows of different sections can be matched)."""
        table = m.Base.metadata.tables[table_name]
        clauses = []
        for column, referred, _ondelete in subject_columns(table):
            ids = [resident_id] if referred == "residents" else list(member_ids)
            if ids:
                clauses.append(table.c[column].in_(ids))
        if table_name in SUBJECT_TABLES:
            ids = [resident_id] if table_name == "residents" else list(member_ids)
            clauses.append(table.c.id.in_(ids or [-1]))
        if not clauses:
            return []
        skip = set(omit)
        key = list(table.primary_key.columns)
        rows = await self._s.execute(select(table).where(or_(*clauses)).order_by(*key))
        return [
            {k: json_value(v) for k, v in row._mapping.items() if k not in skip} for row in rows
        ]

    async def appointment_events(self, appointment_ids: Sequence[int]) -> list[dict[str, object]]:
        if not appointment_ids:
            return []
        e = m.AppointmentEvent
        rows = await self._s.execute(
            select(e.appointment_id, e.kind, e.actor, e.at)
            .where(e.appointment_id.in_(appointment_ids))
            .order_by(e.at, e.id)
        )
        return [{k: json_value(v) for k, v in row._mapping.items()} for row in rows]

    async def live_waitlist_ids(self, resident_id: int, member_id: int | None = None) -> list[int]:
        """Waiting or offered places of the account, or only of one of its members."""
        w = m.WaitlistEntry
        query = select(w.id).where(
            w.resident_id == resident_id,
            w.status.in_((WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value)),
        )
        if member_id is not None:
            query = query.where(w.family_member_id == member_id)
        return list(await self._s.scalars(query.order_by(w.id)))

    # --- doctor-addressed pushes that name residents --------------------------------------

    async def doctor_pushes_mentioning(self, kind: str, text: str) -> list[tuple[int, str, str]]:
        """(id, status, payload) of pushes of `kind` addressed to a doctor whose payload
        contains `text`: a coarse pre-filter, the caller reads the JSON."""
        o = m.OutboxMessage
        rows = await self._s.execute(
            select(o.id, o.status, o.payload)
            .where(
                o.kind == kind,
                o.doctor_id.is_not(None),
                o.payload.contains(text, autoescape=True),
            )
            .order_by(o.id)
        )
        return [(i, status, payload) for i, status, payload in rows]

    async def delete_unsent(self, dedupe_prefix: str) -> int:
        """Deletes pushes never delivered (queued and not claimed, or withdrawn) whose dedupe
        key starts with the prefix."""
        o = m.OutboxMessage
        result = await self._s.execute(
            delete(o)
            .where(
                o.dedupe_key.startswith(dedupe_prefix, autoescape=True),
                o.status.in_((OutboxStatus.PENDING.value, OutboxStatus.CANCELLED.value)),
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def member_appointment_ids(self, member_id: int) -> list[int]:
        a = m.Appointment
        rows = await self._s.scalars(
            select(a.id).where(a.family_member_id == member_id).order_by(a.id)
        )
        return list(rows)

    async def set_payload(self, outbox_id: int, payload: str) -> None:
        o = m.OutboxMessage
        await self._s.execute(update(o).where(o.id == outbox_id).values(payload=payload))

    async def delete_pushes(self, dedupe_keys: list[str]) -> int:
        """Deletes the pushes with these dedupe keys, whatever their status."""
        if not dedupe_keys:
            return 0
        o = m.OutboxMessage
        result = await self._s.execute(delete(o).where(o.dedupe_key.in_(dedupe_keys)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_pushes_prefixed(self, dedupe_prefix: str) -> int:
        """Deletes the pushes whose dedupe key starts with the prefix, whatever their status."""
        o = m.OutboxMessage
        result = await self._s.execute(
            delete(o)
            .where(o.dedupe_key.startswith(dedupe_prefix, autoescape=True))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_pending_push(self, outbox_id: int) -> bool:
        """Deletes the push unless a dispatcher has claimed or finished it meanwhile."""
        o = m.OutboxMessage
        result = await self._s.execute(
            delete(o).where(o.id == outbox_id, o.status == OutboxStatus.PENDING.value)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- consent ------------------------------------------------------------------------

    async def withdraw_pending(self, resident_id: int) -> int:
        """Pending pushes of the resident become 'cancelled'; rows a dispatcher holds right
        now are skipped by it (the resident counts as paused)."""
        o = m.OutboxMessage
        result = await self._s.execute(
            update(o)
            .where(o.resident_id == resident_id, o.status.in_(PENDING))
            .values(status=OutboxStatus.CANCELLED.value, last_error="consent withdrawn")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # --- anonymised statistics ----------------------------------------------------------

    async def add_count(self, metric: str, period: str, dimension: str, count: int) -> None:
        """count += n for the key, creating it at 0 first (two portable statements)."""
        if count <= 0:
            return
        s = m.StatisticCount
        await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                s.__table__,
                {"metric": metric, "period": period, "dimension": dimension, "count": 0},
            )
        )
        await self._s.execute(
            update(s)
            .where(s.metric == metric, s.period == period, s.dimension == dimension)
            .values(count=s.count + count)
        )

    async def counts(self, metric: str) -> dict[tuple[str, str], int]:
        s = m.StatisticCount
        rows = await self._s.execute(
            select(s.period, s.dimension, s.count).where(s.metric == metric)
        )
        return {(period, dimension): count for period, dimension, count in rows}

    async def all_counts(self) -> list[tuple[str, str, str, int]]:
        s = m.StatisticCount
        rows = await self._s.execute(
            select(s.metric, s.period, s.dimension, s.count).order_by(
                s.metric, s.period, s.dimension
            )
        )
        return [(metric, period, dimension, count) for metric, period, dimension, count in rows]

    async def attended_by_service_month(self, resident_id: int) -> list[tuple[datetime, str, int]]:
        """(slot start, service code, 1) per attended appointment of the resident's account."""
        a = m.Appointment
        rows = await self._s.execute(
            select(m.Slot.starts_at, m.BookableService.code)
            .select_from(a)
            .join(m.Slot, m.Slot.id == a.slot_id)
            .join(m.BookableService, m.BookableService.id == a.service_id)
            .where(a.resident_id == resident_id, a.status == AppointmentStatus.ATTENDED.value)
        )
        return [(starts_at, code, 1) for starts_at, code in rows]

    async def delivered_by_kind(
        self, *, resident_id: int | None = None, sent_before: datetime | None = None
    ) -> list[tuple[datetime, str]]:
        """(sent_at, kind) of delivered pushes: one resident's, or all sent before a time."""
        o = m.OutboxMessage
        query = select(o.sent_at, o.kind).where(o.status == OutboxStatus.SENT.value)
        if resident_id is not None:
            query = query.where(o.resident_id == resident_id)
        if sent_before is not None:
            query = query.where(o.sent_at < sent_before)
        return [(sent_at, kind) for sent_at, kind in await self._s.execute(query)]

    async def feedback(
        self, *, resident_id: int | None = None, sent_before: datetime | None = None
    ) -> list[tuple[datetime, str, bool]]:
        """(created_at, tip_id, helpful) of tip votes: a resident's, or those on pushes sent
        before a time (which pruning would delete with their outbox rows)."""
        f, o = m.TipFeedback, m.OutboxMessage
        query = select(f.created_at, f.tip_id, f.helpful).join(o, o.id == f.outbox_id)
        if resident_id is not None:
            query = query.where(f.resident_id == resident_id)
        if sent_before is not None:
            query = query.where(o.status == OutboxStatus.SENT.value, o.sent_at < sent_before)
        return [(at, tip, bool(helpful)) for at, tip, helpful in await self._s.execute(query)]

    def _finished_before(self, cutoff: datetime):  # type: ignore[no-untyped-def]
        """Rows no dispatcher will touch again, finished before `cutoff`: delivered ones by
        when they were sent, the rest (failed, blocked, skipped, cancelled) by when they were
        due. Pending and claimed rows are never pruned."""
        o = m.OutboxMessage
        return or_(
            and_(o.status == OutboxStatus.SENT.value, o.sent_at < cutoff),
            and_(o.status.in_(UNDELIVERED), o.not_before < cutoff),
        )

    async def undelivered_before(self, cutoff: datetime) -> list[tuple[datetime, str]]:
        """(due, 'kind:status') of finished, undelivered rows that pruning would delete."""
        o = m.OutboxMessage
        rows = await self._s.execute(
            select(o.not_before, o.kind, o.status).where(
                o.status.in_(UNDELIVERED), o.not_before < cutoff
            )
        )
        return [(due, f"{kind}:{status}") for due, kind, status in rows]

    async def prune_finished(self, cutoff: datetime) -> int:
        o = m.OutboxMessage
        result = await self._s.execute(delete(o).where(self._finished_before(cutoff)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # --- erasure ------------------------------------------------------------------------

    async def erase(self, resident_id: int, member_ids: Sequence[int]) -> None:
        """Deletes every row referencing the resident or their members, then them.

        Columns declared ON DELETE SET NULL are set to NULL (the row is someone else's: a
        family member this resident once consented for); every other referencing row is
        deleted, and rows hanging off those go with them through their ON DELETE CASCADE.
        """
        for table in reversed(m.Base.metadata.sorted_tables):
            if table.name in SUBJECT_TABLES:
                continue
            for column, referred, ondelete in subject_columns(table):
                ids = [resident_id] if referred == "residents" else list(member_ids)
                if not ids:
                    continue
                col = table.c[column]
                if (ondelete or "").upper() == "SET NULL":
                    await self._s.execute(update(table).where(col.in_(ids)).values({column: None}))
                else:
                    await self._s.execute(delete(table).where(col.in_(ids)))
        for name in ("family_members", "residents"):
            ids = [resident_id] if name == "residents" else list(member_ids)
            if ids:
                t = m.Base.metadata.tables[name]
                await self._s.execute(delete(t).where(t.c.id.in_(ids)))

    async def count_residents(self) -> int:
        return int(await self._s.scalar(select(func.count()).select_from(m.Resident)) or 0)

    # --- take-over links ----------------------------------------------------------------

    async def add_takeover(
        self, *, member_id: int, token_hash: str, expires_at: datetime, now: datetime
    ) -> None:
        self._s.add(
            m.FamilyTakeover(
                family_member_id=member_id,
                token_hash=token_hash,
                expires_at=expires_at,
                created_at=now,
            )
        )
        await self._s.flush()

    async def takeover_by_hash(self, token_hash: str) -> tuple[int, int, datetime, bool] | None:
        """(link id, member id, expires_at, used) of a link."""
        t = m.FamilyTakeover
        row = (
            await self._s.execute(
                select(t.id, t.family_member_id, t.expires_at, t.used_at).where(
                    t.token_hash == token_hash
                )
            )
        ).first()
        return (row[0], row[1], row[2], row[3] is not None) if row else None

    async def use_takeover(self, link_id: int, now: datetime) -> bool:
        t = m.FamilyTakeover
        result = await self._s.execute(
            update(t).where(t.id == link_id, t.used_at.is_(None)).values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def move_member_to_resident(
        self, member_id: int, manager_id: int, new_resident_id: int
    ) -> None:
        """Hands the member's bookings, waiting-list places, referrals, care history, home
        readings and their pending appointment reminders over to their own new account."""
        person_key = f"r:{new_resident_id}"
        for model in (m.Appointment, m.WaitlistEntry):
            await self._s.execute(
                update(model)
                .where(model.family_member_id == member_id)
                .values(resident_id=new_resident_id, family_member_id=None, person_key=person_key)
            )
        await self._s.execute(
            update(m.Referral)
            .where(m.Referral.family_member_id == member_id)
            .values(resident_id=new_resident_id, family_member_id=None)
        )
        # Care history (done items, prescriptions) is keyed by person: it follows them.
        for care in (m.CareRecord, m.CarePrescription, m.CareVaccineAnswer, m.CarePregnancy):
            await self._s.execute(
                update(care)
                .where(care.family_member_id == member_id)
                .values(resident_id=new_resident_id, family_member_id=None, person_key=person_key)
            )
        # Their home readings too (else removing the member deletes them by cascade).
        await self._s.execute(
            update(m.HomeReading)
            .where(m.HomeReading.member_id == member_id)
            .values(resident_id=new_resident_id, member_id=None)
        )
        moved = select(m.Appointment.id).where(m.Appointment.resident_id == new_resident_id)
        appointment_ids = list(await self._s.scalars(moved))
        o = m.OutboxMessage
        for appointment_id in appointment_ids:
            await self._s.execute(
                update(o)
                .where(
                    o.resident_id == manager_id,
                    o.status == OutboxStatus.PENDING.value,
                    o.dedupe_key.like(f"appt:{appointment_id}:%"),
                )
                .values(resident_id=new_resident_id)
            )
