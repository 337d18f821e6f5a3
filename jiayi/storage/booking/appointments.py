"""Appointments, their events, the outbox rows that belong to them, and referrals. "One
active booking per service per person" is a partial unique index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.outbox import OutboxRepository
from jiayi.storage.records import Actor, AppointmentEventKind, AppointmentRecord, AppointmentStatus

# A fresh random code collides about once in 10^8 bookings; a few tries are plenty.
CHECK_IN_CODE_ATTEMPTS = 5
CANCELLED = (
    AppointmentStatus.CANCELLED_RESIDENT.value,
    AppointmentStatus.CANCELLED_CENTRE.value,
)


def _appointments() -> Select[Any]:
    a, s, sv = m.Appointment, m.Slot, m.BookableService
    return (
        select(
            a.id,
            a.slot_id,
            a.service_id,
            sv.code,
            sv.name_zh,
            sv.name_en,
            s.starts_at,
            s.ends_at,
            a.resident_id,
            a.family_member_id,
            func.coalesce(m.FamilyMember.display_name, m.Resident.display_name).label("person"),
            a.status,
            a.check_in_code,
            m.Doctor.display_name.label("doctor_name"),
            m.Centre.name.label("centre_name"),
            m.Centre.name_en.label("centre_name_en"),
            m.Centre.phone.label("centre_phone"),
            m.Centre.address.label("centre_address"),
        )
        .join(s, s.id == a.slot_id)
        .join(sv, sv.id == a.service_id)
        .join(m.Centre, m.Centre.id == sv.centre_id)
        .join(m.Resident, m.Resident.id == a.resident_id)
        .outerjoin(m.FamilyMember, m.FamilyMember.id == a.family_member_id)
        .outerjoin(m.Doctor, m.Doctor.id == s.doctor_id)
    )


def _appointment(row: Row[Any]) -> AppointmentRecord:
    return AppointmentRecord(
        id=row.id,
        slot_id=row.slot_id,
        service_id=row.service_id,
        service_code=row.code,
        service_name_zh=row.name_zh,
        service_name_en=row.name_en,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        resident_id=row.resident_id,
        family_member_id=row.family_member_id,
        person_name=row.person,
        status=AppointmentStatus(row.status),
        check_in_code=row.check_in_code,
        doctor_name=row.doctor_name,
        centre_name=row.centre_name,
        centre_name_en=row.centre_name_en,
        centre_phone=row.centre_phone,
        centre_address=row.centre_address,
    )


def _member_is(column: Any, member_id: int | None) -> Any:
    return column.is_(None) if member_id is None else column == member_id


class BookingAppointments:
    """Appointments and their history, and the referrals some services require."""

    _s: AsyncSession

    async def add_appointment(
        self,
        *,
        slot_id: int,
        service_id: int,
        resident_id: int,
        family_member_id: int | None,
        person_key: str,
        new_code: Callable[[], str],
        now: datetime,
    ) -> int | None:
        """Inserts a booked appointment; None if the person already has one for the service.

        Each try runs in a savepoint, so a unique violation (the person's active booking, or a
        rare check-in code collision) leaves the caller's transaction usable on PostgreSQL.
        """
        a = m.Appointment
        for _ in range(CHECK_IN_CODE_ATTEMPTS):
            code = new_code()
            statement = (
                insert(a)
                .values(
                    slot_id=slot_id,
                    service_id=service_id,
                    resident_id=resident_id,
                    family_member_id=family_member_id,
                    person_key=person_key,
                    status=AppointmentStatus.BOOKED.value,
                    check_in_code=code,
                    created_at=now,
                    updated_at=now,
                )
                .returning(a.id)
            )
            try:
                async with self._s.begin_nested():
                    return int((await self._s.execute(statement)).scalar_one())
            except IntegrityError:
                if await self.active_for_person(service_id, person_key) is not None:
                    return None
                taken = await self._s.scalar(select(a.id).where(a.check_in_code == code))
                if taken is None:
                    raise  # neither rule we know: let it surface
        raise RuntimeError("no free check-in code after several tries")

    async def active_for_person(self, service_id: int, person_key: str) -> int | None:
        a = m.Appointment
        found: int | None = await self._s.scalar(
            select(a.id).where(
                a.service_id == service_id,
                a.person_key == person_key,
                a.status == AppointmentStatus.BOOKED.value,
            )
        )
        return found

    async def appointment(self, appointment_id: int) -> AppointmentRecord | None:
        row = (
            await self._s.execute(_appointments().where(m.Appointment.id == appointment_id))
        ).first()
        return _appointment(row) if row else None

    async def appointments(self, appointment_ids: Iterable[int]) -> list[AppointmentRecord]:
        ids = list(appointment_ids)
        if not ids:
            return []
        rows = await self._s.execute(
            _appointments()
            .where(m.Appointment.id.in_(ids))
            .order_by(m.Slot.starts_at, m.Appointment.id)
        )
        return [_appointment(r) for r in rows]

    async def upcoming_for_resident(
        self, resident_id: int, after: datetime
    ) -> list[AppointmentRecord]:
        """Booked appointments of the resident and their family that have not ended."""
        rows = await self._s.execute(
            _appointments()
            .where(
                m.Appointment.resident_id == resident_id,
                m.Appointment.status == AppointmentStatus.BOOKED.value,
                m.Slot.ends_at > after,
            )
            .order_by(m.Slot.starts_at, m.Appointment.id)
        )
        return [_appointment(r) for r in rows]

    async def centre_day(
        self, centre_id: int, start: datetime, end: datetime
    ) -> list[AppointmentRecord]:
        """Every appointment that is not cancelled at a centre in [start, end), by time."""
        rows = await self._s.execute(
            _appointments()
            .where(
                m.BookableService.centre_id == centre_id,
                m.Slot.starts_at >= start,
                m.Slot.starts_at < end,
                m.Appointment.status.not_in(CANCELLED),
            )
            .order_by(m.Slot.starts_at, m.Appointment.id)
        )
        return [_appointment(r) for r in rows]

    async def by_check_in_code(
        self, centre_id: int, code: str, start: datetime, end: datetime
    ) -> AppointmentRecord | None:
        """A booked or already attended appointment with this code at the centre in the span."""
        row = (
            await self._s.execute(
                _appointments().where(
                    m.Appointment.check_in_code == code,
                    m.BookableService.centre_id == centre_id,
                    m.Slot.starts_at >= start,
                    m.Slot.starts_at < end,
                    m.Appointment.status.in_(
                        (AppointmentStatus.BOOKED.value, AppointmentStatus.ATTENDED.value)
                    ),
                )
            )
        ).first()
        return _appointment(row) if row else None

    async def booked_on_slots(self, slot_ids: Sequence[int]) -> list[int]:
        if not slot_ids:
            return []
        a = m.Appointment
        rows = await self._s.scalars(
            select(a.id)
            .where(a.slot_id.in_(slot_ids), a.status == AppointmentStatus.BOOKED.value)
            .order_by(a.id)
        )
        return list(rows)

    async def set_status(
        self,
        appointment_id: int,
        *,
        from_statuses: Iterable[AppointmentStatus],
        to: AppointmentStatus,
        now: datetime,
    ) -> bool:
        """Moves the appointment on only from one of `from_statuses`; False if it wasn't."""
        a = m.Appointment
        values: dict[str, object] = {"status": to.value, "updated_at": now}
        if to.value in CANCELLED:
            values["cancelled_at"] = now
        result = await self._s.execute(
            update(a)
            .where(a.id == appointment_id, a.status.in_([s.value for s in from_statuses]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_event(
        self, appointment_id: int, kind: AppointmentEventKind, actor: Actor, now: datetime
    ) -> None:
        await self._s.execute(
            insert(m.AppointmentEvent).values(
                appointment_id=appointment_id, kind=kind.value, actor=actor.value, at=now
            )
        )

    async def events(self, appointment_id: int) -> list[tuple[AppointmentEventKind, Actor]]:
        e = m.AppointmentEvent
        rows = await self._s.execute(
            select(e.kind, e.actor).where(e.appointment_id == appointment_id).order_by(e.id)
        )
        return [(AppointmentEventKind(kind), Actor(actor)) for kind, actor in rows]

    async def last_event_at(
        self, appointment_id: int, kinds: Iterable[AppointmentEventKind]
    ) -> datetime | None:
        """When the latest event of one of `kinds` happened to the appointment."""
        e = m.AppointmentEvent
        at: datetime | None = await self._s.scalar(
            select(e.at)
            .where(e.appointment_id == appointment_id, e.kind.in_([k.value for k in kinds]))
            .order_by(e.id.desc())
            .limit(1)
        )
        return at

    # --- the outbox rows that belong to bookings -----------------------------------------

    async def cancel_pending(self, dedupe_prefix: str) -> int:
        """Withdraws a booking's queued pushes: `OutboxRepository.cancel_pending`."""
        return await OutboxRepository(self._s).cancel_pending(dedupe_prefix)

    # --- referrals -----------------------------------------------------------------------

    async def add_referral(
        self,
        *,
        resident_id: int,
        family_member_id: int | None,
        service_id: int,
        doctor_id: int,
        valid_until: date,
        now: datetime,
    ) -> None:
        await self._s.execute(
            insert(m.Referral).values(
                resident_id=resident_id,
                family_member_id=family_member_id,
                service_id=service_id,
                doctor_id=doctor_id,
                valid_until=valid_until,
                created_at=now,
            )
        )

    async def referral_valid_until(
        self, resident_id: int, family_member_id: int | None, service_id: int
    ) -> date | None:
        """The latest day any referral of this person to this service is valid on."""
        r = m.Referral
        until: date | None = await self._s.scalar(
            select(func.max(r.valid_until)).where(
                r.resident_id == resident_id,
                _member_is(r.family_member_id, family_member_id),
                r.service_id == service_id,
            )
        )
        return until
