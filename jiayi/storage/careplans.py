"""Care-plan history (done items, prescriptions), doctors' digest choices, and the lookups
the planner needs. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.consent import consent_in_force, may_receive_pushes
from jiayi.storage.dialect import insert_ignoring_duplicates

# Household care cards: one outbox row for several reminders; services.careplans imports the
# marker from here.
from jiayi.storage.outbox import CardEdit, OutboxRepository
from jiayi.storage.records import AppointmentStatus, OutboxStatus, ServiceKind


@dataclass(frozen=True, slots=True)
class CareDone:
    person_key: str
    rule_id: str
    done_on: date
    source: str
    # How the doctor found a follow-up ("controlled" / "uncontrolled"), when recorded.
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Prescription:
    person_key: str
    weeks: int
    prescribed_on: date


@dataclass(frozen=True, slots=True)
class BookedService:
    person_key: str
    code: str
    kind: ServiceKind


class CarePlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def history(self, person_keys: Iterable[str]) -> list[CareDone]:
        keys = list(person_keys)
        if not keys:
            return []
        r = m.CareRecord
        rows = await self._s.execute(
            select(r.person_key, r.rule_id, r.done_on, r.source, r.outcome)
            .where(r.person_key.in_(keys))
            .order_by(r.done_on, r.id)
        )
        return [CareDone(*row) for row in rows]

    async def add_done(
        self,
        *,
        resident_id: int,
        member_id: int | None,
        person_key: str,
        rule_id: str,
        done_on: date,
        source: str,
        now: datetime,
        appointment_id: int | None = None,
        doctor_id: int | None = None,
        outcome: str | None = None,
    ) -> None:
        self._s.add(
            m.CareRecord(
                outcome=outcome,
                resident_id=resident_id,
                family_member_id=member_id,
                person_key=person_key,
                rule_id=rule_id,
                done_on=done_on,
                source=source,
                appointment_id=appointment_id,
                doctor_id=doctor_id,
                created_at=now,
            )
        )
        await self._s.flush()

    async def remove_for_appointment(self, appointment_id: int) -> int:
        result = await self._s.execute(
            delete(m.CareRecord).where(m.CareRecord.appointment_id == appointment_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def remove_recent_done(
        self, *, person_key: str, rule_id: str, doctor_id: int, since: datetime
    ) -> date | None:
        """Deletes the latest record of `rule_id` for the person that this doctor made (not
        from an appointment) at or after `since`; the day it said, or None if there is none."""
        r = m.CareRecord
        row = (
            await self._s.execute(
                select(r.id, r.done_on)
                .where(
                    r.person_key == person_key,
                    r.rule_id == rule_id,
                    r.doctor_id == doctor_id,
                    r.appointment_id.is_(None),
                    r.created_at >= since,
                )
                .order_by(r.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        await self._s.execute(delete(r).where(r.id == row.id))
        done_on: date = row.done_on
        return done_on

    async def reopen_cancelled(self, dedupe_prefix: str, after: datetime) -> int:
        """Puts back withdrawn, not yet due pushes whose dedupe key starts with the prefix
        (an undone record gives back the reminders its completion withdrew)."""
        o = m.OutboxMessage
        result = await self._s.execute(
            update(o)
            .where(
                o.dedupe_key.startswith(dedupe_prefix, autoescape=True),
                o.status == OutboxStatus.CANCELLED.value,
                o.not_before > after,
            )
            .values(status=OutboxStatus.PENDING.value)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def has_for_appointment(self, appointment_id: int) -> bool:
        found = await self._s.scalar(
            select(m.CareRecord.id).where(m.CareRecord.appointment_id == appointment_id).limit(1)
        )
        return found is not None

    async def latest_prescriptions(self, person_keys: Iterable[str]) -> dict[str, Prescription]:
        keys = list(person_keys)
        if not keys:
            return {}
        p = m.CarePrescription
        rows = await self._s.execute(
            select(p.person_key, p.weeks, p.prescribed_on)
            .where(p.person_key.in_(keys))
            .order_by(p.prescribed_on, p.id)
        )
        return {key: Prescription(key, weeks, on) for key, weeks, on in rows}

    async def add_prescription(
        self,
        *,
        resident_id: int,
        member_id: int | None,
        person_key: str,
        weeks: int,
        prescribed_on: date,
        doctor_id: int,
        now: datetime,
    ) -> None:
        self._s.add(
            m.CarePrescription(
                resident_id=resident_id,
                family_member_id=member_id,
                person_key=person_key,
                weeks=weeks,
                prescribed_on=prescribed_on,
                doctor_id=doctor_id,
                created_at=now,
            )
        )
        await self._s.flush()

    async def booked_services(self, resident_id: int) -> list[BookedService]:
        """Services with a booked (not yet attended) appointment, per person of a household."""
        a, s = m.Appointment, m.BookableService
        rows = await self._s.execute(
            select(a.person_key, s.code, s.kind)
            .join(s, s.id == a.service_id)
            .where(a.resident_id == resident_id, a.status == AppointmentStatus.BOOKED.value)
        )
        return [BookedService(key, code, ServiceKind(kind)) for key, code, kind in rows]

    async def services_at_centre_of(self, resident_id: int) -> list[tuple[int, str, ServiceKind]]:
        """(id, code, kind) of the active services at the resident's doctor's centre, or of
        every centre when the resident has no doctor yet."""
        s = m.BookableService
        centre = await self._s.scalar(
            select(m.Doctor.centre_id)
            .join(m.Contract, m.Contract.doctor_id == m.Doctor.id)
            .where(m.Contract.resident_id == resident_id, m.Contract.ended_at.is_(None))
        )
        query = select(s.id, s.code, s.kind).where(s.active.is_(True)).order_by(s.id)
        if centre is not None:
            query = query.where(s.centre_id == centre)
        return [(i, code, ServiceKind(kind)) for i, code, kind in await self._s.execute(query)]

    async def plannable_residents(self, consent_version: str) -> list[int]:
        """Residents who may get pushes now (see storage.consent.may_receive_pushes)."""
        r = m.Resident
        rows = await self._s.scalars(
            select(r.id).where(may_receive_pushes(consent_version)).order_by(r.id)
        )
        return list(rows)

    async def residents_of(self, doctor_id: int, consent_version: str) -> list[int]:
        """Residents with an open contract with the doctor whose care the doctor may follow up
        now: signed up, consent given to the notice `consent_version` and not withdrawn."""
        c, r = m.Contract, m.Resident
        rows = await self._s.scalars(
            select(c.resident_id)
            .join(r, r.id == c.resident_id)
            .where(
                c.doctor_id == doctor_id,
                c.ended_at.is_(None),
                r.onboarded_at.is_not(None),
                consent_in_force(consent_version),
            )
            .order_by(c.resident_id)
        )
        return list(rows)

    async def queued_keys(self, resident_id: int, dedupe_prefix: str) -> set[str]:
        """Dedupe keys already in the outbox for the resident (any status)."""
        o = m.OutboxMessage
        rows = await self._s.scalars(
            select(o.dedupe_key).where(
                o.resident_id == resident_id,
                o.dedupe_key.startswith(dedupe_prefix, autoescape=True),
            )
        )
        return set(rows)

    async def queued_payloads(self, resident_id: int, kind: str, containing: str) -> list[str]:
        """Payloads of the resident's outbox rows of a kind that contain a marker (any
        status)."""
        o = m.OutboxMessage
        rows = await self._s.scalars(
            select(o.payload).where(
                o.resident_id == resident_id,
                o.kind == kind,
                o.payload.contains(containing, autoescape=True),
            )
        )
        return list(rows)

    async def cancel_pending(self, dedupe_prefix: str, *, cards: CardEdit | None) -> int:
        """Withdraws queued care reminders under the prefix: `OutboxRepository.cancel_pending`
        (`cards` says how to take items out of a household card)."""
        return await OutboxRepository(self._s).cancel_pending(dedupe_prefix, cards=cards)

    async def digest_frequencies(self) -> dict[int, str]:
        rows = await self._s.execute(
            select(m.DoctorDigestPref.doctor_id, m.DoctorDigestPref.frequency)
        )
        return {int(doctor_id): str(frequency) for doctor_id, frequency in rows.tuples()}

    async def set_digest_frequency(self, doctor_id: int, frequency: str, now: datetime) -> None:
        await self._s.execute(
            delete(m.DoctorDigestPref).where(m.DoctorDigestPref.doctor_id == doctor_id)
        )
        await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.DoctorDigestPref.__table__,
                {"doctor_id": doctor_id, "frequency": frequency, "updated_at": now},
            )
        )

    async def set_doctor_locale(self, doctor_id: int, locale: str) -> None:
        await self._s.execute(
            update(m.Doctor).where(m.Doctor.id == doctor_id).values(locale=locale)
        )

    async def doctors_with_accounts(self) -> list[int]:
        rows = await self._s.scalars(
            select(m.Doctor.id)
            .where(m.Doctor.active.is_(True), m.Doctor.telegram_user_id.is_not(None))
            .order_by(m.Doctor.id)
        )
        return list(rows)

    # --- children's vaccination record, pregnancies ------------------------------------------

    async def vaccine_answers(self, person_keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """person key → {rule id → answer} of the vaccination record."""
        keys = list(person_keys)
        if not keys:
            return {}
        a = m.CareVaccineAnswer
        rows = await self._s.execute(
            select(a.person_key, a.rule_id, a.answer).where(a.person_key.in_(keys))
        )
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for key, rule_id, answer in rows:
            found[key][rule_id] = answer
        return dict(found)

    async def set_vaccine_answer(
        self,
        *,
        resident_id: int,
        member_id: int | None,
        person_key: str,
        rule_id: str,
        answer: str,
        now: datetime,
    ) -> None:
        """Replaces the person's answer for the vaccine (the last answer counts)."""
        a = m.CareVaccineAnswer
        await self._s.execute(delete(a).where(a.person_key == person_key, a.rule_id == rule_id))
        self._s.add(
            a(
                resident_id=resident_id,
                family_member_id=member_id,
                person_key=person_key,
                rule_id=rule_id,
                answer=answer,
                answered_at=now,
            )
        )
        await self._s.flush()

    async def pregnancies(self, person_keys: Iterable[str]) -> dict[str, tuple[date, date | None]]:
        """person key → (expected delivery, delivery) for those with a pregnancy recorded."""
        keys = list(person_keys)
        if not keys:
            return {}
        p = m.CarePregnancy
        rows = await self._s.execute(
            select(p.person_key, p.expected_on, p.delivered_on).where(p.person_key.in_(keys))
        )
        return {key: (expected, delivered) for key, expected, delivered in rows}

    async def set_pregnancy(
        self,
        *,
        resident_id: int,
        member_id: int | None,
        person_key: str,
        expected_on: date,
        delivered_on: date | None,
        now: datetime,
    ) -> None:
        p = m.CarePregnancy
        await self._s.execute(delete(p).where(p.person_key == person_key))
        self._s.add(
            p(
                resident_id=resident_id,
                family_member_id=member_id,
                person_key=person_key,
                expected_on=expected_on,
                delivered_on=delivered_on,
                updated_at=now,
            )
        )
        await self._s.flush()


def by_person(items: Iterable[CareDone]) -> dict[str, list[CareDone]]:
    grouped: dict[str, list[CareDone]] = defaultdict(list)
    for item in items:
        grouped[item.person_key].append(item)
    return grouped
