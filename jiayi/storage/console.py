"""The doctor console's tables: audit log, broadcasts, questions; and the resident queries
doctors filter by. Never commits."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.consent import may_receive_pushes
from jiayi.storage.records import (
    AudienceMember,
    AuditRecord,
    BroadcastRecord,
    Condition,
    OutboxStatus,
    QuestionRecord,
    ResidentFilter,
    ResidentListItem,
)

BROADCAST_KIND = "broadcast"


@dataclass(frozen=True, slots=True)
class InviteState:
    """What accepting or revoking an invite needs to know about it (never the token)."""

    id: int
    doctor_id: int
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    rebind: bool


@dataclass(frozen=True, slots=True)
class DoctorAccountEventRecord:
    doctor_id: int | None
    action: str
    other_doctor_id: int | None
    count: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OrphanedPractice:
    """A deactivated doctor whose residents still hold an open contract with them."""

    doctor_id: int
    display_name: str
    link_code: str
    centre_id: int
    resident_ids: list[int]


def broadcast_dedupe_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _in_scope(doctor_id: int | None) -> ColumnElement[bool]:
    """Residents with an open contract with the doctor; None (an admin): every resident."""
    r = m.Resident
    if doctor_id is None:
        return and_(True)
    return (
        select(m.Contract.id)
        .where(
            m.Contract.resident_id == r.id,
            m.Contract.doctor_id == doctor_id,
            m.Contract.ended_at.is_(None),
        )
        .exists()
    )


def _matches(f: ResidentFilter, on_day: date) -> ColumnElement[bool]:
    r = m.Resident
    clauses: list[ColumnElement[bool]] = []
    if f.conditions:
        clauses.append(
            select(m.ResidentCondition.resident_id)
            .where(
                m.ResidentCondition.resident_id == r.id,
                m.ResidentCondition.condition.in_([c.value for c in f.conditions]),
            )
            .exists()
        )
    if f.age_bands:
        bands = []
        for low, high in f.age_bands:
            band = [r.birth_year <= on_day.year - low]
            if high is not None:
                band.append(r.birth_year >= on_day.year - high)
            bands.append(and_(*band))
        clauses.append(or_(*bands))
    if f.child_under_years is not None:
        cutoff = _years_before(on_day, f.child_under_years)
        clauses.append(
            select(m.FamilyMember.id)
            .where(
                m.FamilyMember.resident_id == r.id,
                m.FamilyMember.relation == "child",
                m.FamilyMember.birth_date > cutoff,
            )
            .exists()
        )
    if f.name_contains:
        clauses.append(r.display_name.contains(f.name_contains, autoescape=True))
    if f.resident_ids is not None:
        clauses.append(r.id.in_(sorted(f.resident_ids)))
    return and_(True, *clauses)


def _broadcast(row: m.Broadcast) -> BroadcastRecord:
    return BroadcastRecord(
        id=row.id,
        doctor_id=row.doctor_id,
        owner_user_id=row.owner_user_id,
        owner_locale=row.owner_locale,
        texts=dict(json.loads(row.texts)),
        photo_file_id=row.photo_file_id,
        segments=tuple(json.loads(row.segments)),
        audience_size=row.audience_size,
        starts_at=row.starts_at,
        spread_minutes=row.spread_minutes,
        status=row.status,
        status_message_id=row.status_message_id,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
        finished_at=row.finished_at,
    )


class ConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # --- residents in a doctor's care ---------------------------------------------------

    async def in_scope(self, doctor_id: int | None, resident_id: int) -> bool:
        r = m.Resident
        found = await self._s.scalar(
            select(r.id).where(
                r.id == resident_id, r.onboarded_at.is_not(None), _in_scope(doctor_id)
            )
        )
        return found is not None

    def _list_query(self, doctor_id: int | None, f: ResidentFilter, on_day: date) -> Select[Any]:
        r = m.Resident
        return select(r).where(
            r.onboarded_at.is_not(None), _in_scope(doctor_id), _matches(f, on_day)
        )

    async def count_residents(self, doctor_id: int | None, f: ResidentFilter, on_day: date) -> int:
        query = self._list_query(doctor_id, f, on_day).with_only_columns(func.count())
        return int(await self._s.scalar(query) or 0)

    async def list_residents(
        self, doctor_id: int | None, f: ResidentFilter, on_day: date, *, limit: int, offset: int
    ) -> list[ResidentListItem]:
        rows = list(
            await self._s.scalars(
                self._list_query(doctor_id, f, on_day)
                .order_by(m.Resident.display_name, m.Resident.id)
                .limit(limit)
                .offset(offset)
            )
        )
        conditions = await self._conditions([row.id for row in rows])
        return [
            ResidentListItem(
                id=row.id,
                display_name=row.display_name,
                birth_year=row.birth_year,
                locale=row.locale,
                conditions=conditions.get(row.id, frozenset()),
            )
            for row in rows
        ]

    async def _conditions(self, ids: Sequence[int]) -> dict[int, frozenset[Condition]]:
        found: dict[int, set[Condition]] = {}
        if ids:
            rc = m.ResidentCondition
            for rid, value in await self._s.execute(
                select(rc.resident_id, rc.condition).where(rc.resident_id.in_(ids))
            ):
                found.setdefault(rid, set()).add(Condition(value))
        return {rid: frozenset(values) for rid, values in found.items()}

    async def audience(
        self, doctor_id: int | None, f: ResidentFilter, on_day: date, consent_version: str
    ) -> list[AudienceMember]:
        """Residents in scope who match and may receive a push now (consent in force to the
        notice `consent_version`), by id."""
        r = m.Resident
        rows = await self._s.execute(
            select(r.id, r.locale)
            .where(may_receive_pushes(consent_version), _in_scope(doctor_id), _matches(f, on_day))
            .order_by(r.id)
        )
        return [AudienceMember(resident_id=rid, locale=locale) for rid, locale in rows]

    async def in_scope_ids(self, doctor_id: int | None) -> set[int]:
        r = m.Resident
        return set(await self._s.scalars(select(r.id).where(_in_scope(doctor_id))))

    # --- audit log ----------------------------------------------------------------------

    async def audit(
        self,
        *,
        actor_doctor_id: int | None,
        actor_user_id: int,
        resident_ids: Iterable[int],
        action: str,
        at: datetime,
        ref_id: int | None = None,
    ) -> None:
        rows = [
            {
                "actor_doctor_id": actor_doctor_id,
                "actor_user_id": actor_user_id,
                "resident_id": rid,
                "action": action,
                "ref_id": ref_id,
                "at": at,
            }
            for rid in resident_ids
        ]
        if rows:
            await self._s.execute(insert(m.AuditEntry), rows)

    async def audit_for_resident(self, resident_id: int) -> list[AuditRecord]:
        a = m.AuditEntry
        rows = await self._s.execute(
            select(a, m.Doctor.display_name)
            .outerjoin(m.Doctor, m.Doctor.id == a.actor_doctor_id)
            .where(a.resident_id == resident_id)
            .order_by(a.at, a.id)
        )
        return [
            AuditRecord(
                id=row.id,
                actor_doctor_id=row.actor_doctor_id,
                actor_doctor_name=name,
                resident_id=row.resident_id,
                action=row.action,
                ref_id=row.ref_id,
                at=row.at,
            )
            for row, name in rows
        ]

    # --- doctors' accounts (the operator's commands) ---------------------------------------

    async def resident_count(self, doctor_id: int) -> int:
        """Residents with an open contract with the doctor."""
        c = m.Contract
        stmt = select(func.count()).where(c.doctor_id == doctor_id, c.ended_at.is_(None))
        return int(await self._s.scalar(stmt) or 0)

    async def doctors_named(self, centre_id: int, display_name: str) -> list[tuple[int, str, int]]:
        """(id, link code, open contracts) of the centre's active doctors with this name."""
        d, c = m.Doctor, m.Contract
        count = (
            select(func.count())
            .where(c.doctor_id == d.id, c.ended_at.is_(None))
            .correlate(d)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            select(d.id, d.link_code, count)
            .where(d.centre_id == centre_id, d.display_name == display_name, d.active.is_(True))
            .order_by(d.id)
        )
        return [(i, code, int(n)) for i, code, n in rows]

    async def add_invite(
        self,
        *,
        doctor_id: int,
        token_hash: str,
        expires_at: datetime,
        rebind: bool,
        now: datetime,
    ) -> int:
        row = m.DoctorInvite(
            doctor_id=doctor_id,
            token_hash=token_hash,
            expires_at=expires_at,
            rebind=rebind,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def invite(self, token_hash: str) -> InviteState | None:
        row = await self._s.scalar(
            select(m.DoctorInvite).where(m.DoctorInvite.token_hash == token_hash)
        )
        if row is None:
            return None
        return InviteState(
            id=row.id,
            doctor_id=row.doctor_id,
            expires_at=row.expires_at,
            used_at=row.used_at,
            revoked_at=row.revoked_at,
            rebind=row.rebind,
        )

    async def use_invite(self, invite_id: int, now: datetime) -> bool:
        """Marks the invite used, only if it is still open (neither used nor revoked)."""
        i = m.DoctorInvite
        result = await self._s.execute(
            update(i)
            .where(i.id == invite_id, i.used_at.is_(None), i.revoked_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_invites(
        self, now: datetime, *, doctor_id: int | None = None, token_hash: str | None = None
    ) -> list[int]:
        """Revokes open invites (of a doctor, or the one with this hash); returns their ids."""
        i = m.DoctorInvite
        query = update(i).where(i.used_at.is_(None), i.revoked_at.is_(None), i.expires_at > now)
        if doctor_id is not None:
            query = query.where(i.doctor_id == doctor_id)
        if token_hash is not None:
            query = query.where(i.token_hash == token_hash)
        rows = await self._s.scalars(
            query.values(revoked_at=now)
            .returning(i.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(rows)

    async def deactivate_doctor(self, doctor_id: int, now: datetime) -> bool:
        """Ends the doctor's console at once: inactive, and the Telegram account unbound (so it
        can be invited again, as someone else or as a new doctor)."""
        d = m.Doctor
        result = await self._s.execute(
            update(d)
            .where(d.id == doctor_id, d.active.is_(True))
            .values(active=False, deactivated_at=now, telegram_user_id=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def orphaned_practices(self) -> list[OrphanedPractice]:
        d, c = m.Doctor, m.Contract
        rows = await self._s.execute(
            select(d.id, d.display_name, d.link_code, d.centre_id, c.resident_id)
            .join(c, c.doctor_id == d.id)
            .where(d.active.is_(False), c.ended_at.is_(None))
            .order_by(d.id, c.resident_id)
        )
        grouped: dict[tuple[int, str, str, int], list[int]] = defaultdict(list)
        for doctor_id, name, code, centre_id, resident_id in rows:
            grouped[(doctor_id, name, code, centre_id)].append(resident_id)
        return [
            OrphanedPractice(
                doctor_id=k[0], display_name=k[1], link_code=k[2], centre_id=k[3], resident_ids=v
            )
            for k, v in grouped.items()
        ]

    async def move_contracts(self, from_doctor: int, to_doctor: int, now: datetime) -> int:
        """Ends each open contract with `from_doctor` and opens the same one with `to_doctor`
        (same end date), so the history says who cared for whom when. Returns contracts moved."""
        c = m.Contract
        open_ = list(
            await self._s.scalars(
                select(c).where(c.doctor_id == from_doctor, c.ended_at.is_(None)).order_by(c.id)
            )
        )
        for row in open_:
            row.ended_at = now
        await self._s.flush()
        for row in open_:
            self._s.add(
                m.Contract(
                    resident_id=row.resident_id,
                    doctor_id=to_doctor,
                    starts_on=max(row.starts_on, now.date()),
                    ends_on=row.ends_on,
                    created_at=now,
                )
            )
        await self._s.flush()
        return len(open_)

    async def add_account_event(
        self,
        *,
        doctor_id: int | None,
        action: str,
        at: datetime,
        other_doctor_id: int | None = None,
        count: int | None = None,
    ) -> None:
        self._s.add(
            m.DoctorAccountEvent(
                doctor_id=doctor_id,
                action=action,
                other_doctor_id=other_doctor_id,
                count=count,
                at=at,
            )
        )
        await self._s.flush()

    async def account_events(self, doctor_id: int) -> list[DoctorAccountEventRecord]:
        e = m.DoctorAccountEvent
        rows = await self._s.scalars(
            select(e)
            .where(or_(e.doctor_id == doctor_id, e.other_doctor_id == doctor_id))
            .order_by(e.at, e.id)
        )
        return [
            DoctorAccountEventRecord(
                doctor_id=r.doctor_id,
                action=r.action,
                other_doctor_id=r.other_doctor_id,
                count=r.count,
                at=r.at,
            )
            for r in rows
        ]

    # --- broadcasts ---------------------------------------------------------------------

    async def add_broadcast(
        self,
        *,
        doctor_id: int | None,
        owner_user_id: int,
        owner_locale: str,
        texts: dict[str, str],
        photo_file_id: str | None,
        segments: Sequence[str],
        audience_size: int,
        starts_at: datetime,
        spread_minutes: int,
        status: str,
        now: datetime,
    ) -> BroadcastRecord:
        row = m.Broadcast(
            doctor_id=doctor_id,
            owner_user_id=owner_user_id,
            owner_locale=owner_locale,
            texts=json.dumps(texts, ensure_ascii=False),
            photo_file_id=photo_file_id,
            segments=json.dumps(list(segments)),
            audience_size=audience_size,
            starts_at=starts_at,
            spread_minutes=spread_minutes,
            status=status,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return _broadcast(row)

    async def broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        row = await self._s.get(m.Broadcast, broadcast_id)
        return _broadcast(row) if row else None

    async def broadcasts_of(self, owner_user_id: int, *, limit: int) -> list[BroadcastRecord]:
        b = m.Broadcast
        rows = await self._s.scalars(
            select(b).where(b.owner_user_id == owner_user_id).order_by(b.id.desc()).limit(limit)
        )
        return [_broadcast(row) for row in rows]

    async def broadcasts_in(self, statuses: Sequence[str]) -> list[BroadcastRecord]:
        b = m.Broadcast
        rows = await self._s.scalars(select(b).where(b.status.in_(statuses)).order_by(b.id))
        return [_broadcast(row) for row in rows]

    async def set_broadcast_status(
        self, broadcast_id: int, *, old: Sequence[str], new: str, **values: object
    ) -> bool:
        """Moves a broadcast on only from one of `old`: two jobs cannot both finish it."""
        b = m.Broadcast
        result = await self._s.execute(
            update(b).where(b.id == broadcast_id, b.status.in_(old)).values(status=new, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_status_message(self, broadcast_id: int, message_id: int) -> None:
        await self._s.execute(
            update(m.Broadcast)
            .where(m.Broadcast.id == broadcast_id)
            .values(status_message_id=message_id)
        )

    async def enqueue_broadcast(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """One pending outbox row per recipient, in one executemany INSERT. The broadcast is
        new, so its dedupe keys cannot clash."""
        if rows:
            await self._s.execute(
                insert(m.OutboxMessage),
                [
                    {
                        "kind": BROADCAST_KIND,
                        "tip_id": None,
                        "status": OutboxStatus.PENDING.value,
                        "attempts": 0,
                        "created_at": now,
                        **row,
                    }
                    for row in rows
                ],
            )

    def _rows_of(self, broadcast_id: int) -> ColumnElement[bool]:
        o = m.OutboxMessage
        return and_(
            o.kind == BROADCAST_KIND,
            o.dedupe_key.startswith(broadcast_dedupe_prefix(broadcast_id), autoescape=True),
        )

    async def cancel_broadcast_rows(self, broadcast_id: int) -> int:
        """Withdraws the rows not yet claimed; what is already sending goes out."""
        o = m.OutboxMessage
        result = await self._s.execute(
            update(o)
            .where(self._rows_of(broadcast_id), o.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value, last_error="broadcast cancelled")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        o = m.OutboxMessage
        rows = await self._s.execute(
            select(o.status, func.count()).where(self._rows_of(broadcast_id)).group_by(o.status)
        )
        return {status: int(count) for status, count in rows}

    # --- questions ----------------------------------------------------------------------

    async def add_question(
        self, *, resident_id: int, doctor_id: int, body: str, now: datetime
    ) -> int:
        row = m.Question(resident_id=resident_id, doctor_id=doctor_id, body=body, asked_at=now)
        self._s.add(row)
        await self._s.flush()
        return row.id

    def _questions(self) -> Select[Any]:
        q, r = m.Question, m.Resident
        return select(q, r.display_name, r.locale).join(r, r.id == q.resident_id)

    @staticmethod
    def _question(row: m.Question, name: str, locale: str) -> QuestionRecord:
        return QuestionRecord(
            id=row.id,
            resident_id=row.resident_id,
            resident_name=name,
            resident_locale=locale,
            doctor_id=row.doctor_id,
            body=row.body,
            asked_at=row.asked_at,
            answered_at=row.answered_at,
        )

    async def question(self, question_id: int) -> QuestionRecord | None:
        row = (
            await self._s.execute(self._questions().where(m.Question.id == question_id))
        ).first()
        return self._question(*row) if row else None

    async def open_questions(self, doctor_id: int | None, *, limit: int) -> list[QuestionRecord]:
        q = m.Question
        query = self._questions().where(q.answered_at.is_(None))
        if doctor_id is not None:
            query = query.where(q.doctor_id == doctor_id)
        rows = await self._s.execute(query.order_by(q.asked_at, q.id).limit(limit))
        return [self._question(*row) for row in rows]

    async def count_open_questions(self, resident_id: int, doctor_id: int | None) -> int:
        q = m.Question
        query = select(func.count()).where(q.resident_id == resident_id, q.answered_at.is_(None))
        if doctor_id is not None:
            query = query.where(q.doctor_id == doctor_id)
        return int(await self._s.scalar(query) or 0)

    async def mark_answered(self, question_id: int, *, by_user_id: int, now: datetime) -> bool:
        q = m.Question
        result = await self._s.execute(
            update(q)
            .where(q.id == question_id, q.answered_at.is_(None))
            .values(answered_at=now, answered_by=by_user_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
