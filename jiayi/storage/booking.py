"""Booking queries: services, schedules, slots, appointments, waitlist, referrals. Never commits.

Seats move only through single conditional UPDATEs (`booked < capacity`, `booked > 0`), never by
reading the count and writing it back; "one active booking per service per person" is a partial
unique index. Reads select columns rather than ORM entities, so a row updated earlier in the same
transaction is never served stale from the identity map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Select, and_, case, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.outbox import OutboxRepository
from jiayi.storage.records import (
    Actor,
    AppointmentEventKind,
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    CentreRecord,
    ScheduleRecord,
    ServiceKind,
    Sex,
    SlotRecord,
    SlotStatus,
    WaitlistRow,
    WaitlistStatus,
)

# A fresh random code collides about once in 10^8 bookings; a few tries are plenty.
CHECK_IN_CODE_ATTEMPTS = 5
LIVE_WAITLIST = (WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value)
CANCELLED = (
    AppointmentStatus.CANCELLED_RESIDENT.value,
    AppointmentStatus.CANCELLED_CENTRE.value,
)
_KIND_ORDER = {kind.value: position for position, kind in enumerate(ServiceKind)}


def _service(row: m.BookableService) -> BookableServiceRecord:
    return BookableServiceRecord(
        id=row.id,
        centre_id=row.centre_id,
        code=row.code,
        kind=ServiceKind(row.kind),
        name_zh=row.name_zh,
        name_en=row.name_en,
        min_notice=timedelta(minutes=row.min_notice_minutes),
        horizon_days=row.horizon_days,
        cancel_cutoff=timedelta(minutes=row.cancel_cutoff_minutes),
        min_age_months=row.min_age_months,
        max_age_months=row.max_age_months,
        requires_referral=row.requires_referral,
        sex=Sex(row.sex) if row.sex else None,
    )


_SLOT_COLUMNS = (
    m.Slot.id,
    m.Slot.service_id,
    m.Slot.doctor_id,
    m.Slot.starts_at,
    m.Slot.ends_at,
    m.Slot.capacity,
    m.Slot.booked,
    m.Slot.status,
)


def _schedule(s: m.Schedule, centre_id: int) -> ScheduleRecord:
    return ScheduleRecord(
        id=s.id,
        service_id=s.service_id,
        centre_id=centre_id,
        doctor_id=s.doctor_id,
        weekday=s.weekday,
        start_time=s.start_time,
        end_time=s.end_time,
        slot_minutes=s.slot_minutes,
        capacity=s.capacity,
        on_makeup_workdays=s.on_makeup_workdays,
    )


def _slot(row: Row[Any]) -> SlotRecord:
    return SlotRecord(
        id=row.id,
        service_id=row.service_id,
        doctor_id=row.doctor_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        booked=row.booked,
        status=SlotStatus(row.status),
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


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # --- services and schedules ---------------------------------------------------------

    async def add_service(
        self,
        *,
        centre_id: int,
        code: str,
        kind: ServiceKind,
        name_zh: str,
        name_en: str,
        min_notice_minutes: int = 120,
        horizon_days: int = 14,
        cancel_cutoff_minutes: int = 120,
        min_age_months: int | None = None,
        max_age_months: int | None = None,
        requires_referral: bool = False,
        active: bool = True,
        sex: Sex | None = None,
    ) -> BookableServiceRecord:
        row = m.BookableService(
            centre_id=centre_id,
            code=code,
            kind=ServiceKind(kind).value,
            name_zh=name_zh,
            name_en=name_en,
            min_notice_minutes=min_notice_minutes,
            horizon_days=horizon_days,
            cancel_cutoff_minutes=cancel_cutoff_minutes,
            min_age_months=min_age_months,
            max_age_months=max_age_months,
            requires_referral=requires_referral,
            active=active,
            sex=sex.value if sex else None,
        )
        self._s.add(row)
        await self._s.flush()
        return _service(row)

    async def service(self, service_id: int) -> BookableServiceRecord | None:
        """An active service; a retired one is as good as gone for booking."""
        row = await self._s.scalar(
            select(m.BookableService).where(
                m.BookableService.id == service_id, m.BookableService.active.is_(True)
            )
        )
        return _service(row) if row else None

    async def service_by_code(self, centre_id: int, code: str) -> BookableServiceRecord | None:
        row = await self._s.scalar(
            select(m.BookableService).where(
                m.BookableService.centre_id == centre_id, m.BookableService.code == code
            )
        )
        return _service(row) if row else None

    async def services(self, centre_id: int | None) -> list[BookableServiceRecord]:
        """Active services of one centre (or of all centres), by kind and then name."""
        sv = m.BookableService
        query = select(sv).where(sv.active.is_(True))
        if centre_id is not None:
            query = query.where(sv.centre_id == centre_id)
        kind_order = case(_KIND_ORDER, value=sv.kind, else_=len(_KIND_ORDER))
        rows = await self._s.scalars(query.order_by(kind_order, sv.name_en, sv.id))
        return [_service(r) for r in rows]

    async def centre_of_resident(self, resident_id: int) -> int | None:
        """The centre of the resident's family doctor, if they have an open contract."""
        centre_id: int | None = await self._s.scalar(
            select(m.Doctor.centre_id)
            .join(m.Contract, m.Contract.doctor_id == m.Doctor.id)
            .where(m.Contract.resident_id == resident_id, m.Contract.ended_at.is_(None))
        )
        return centre_id

    async def centre(self, centre_id: int) -> CentreRecord | None:
        row = await self._s.scalar(select(m.Centre).where(m.Centre.id == centre_id))
        if row is None:
            return None
        return CentreRecord(
            id=row.id,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            timezone=row.timezone,
            phone=row.phone,
            address=row.address,
        )

    async def centre_timezone(self, centre_id: int) -> str | None:
        zone: str | None = await self._s.scalar(
            select(m.Centre.timezone).where(m.Centre.id == centre_id)
        )
        return zone

    async def add_schedule(
        self,
        *,
        service_id: int,
        weekday: int,
        start_time: time,
        end_time: time,
        slot_minutes: int,
        capacity: int,
        doctor_id: int | None = None,
        on_makeup_workdays: bool = False,
    ) -> int:
        row = m.Schedule(
            service_id=service_id,
            doctor_id=doctor_id,
            weekday=weekday,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            capacity=capacity,
            on_makeup_workdays=on_makeup_workdays,
            active=True,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def active_schedules(self) -> list[ScheduleRecord]:
        sc, sv = m.Schedule, m.BookableService
        rows = await self._s.execute(
            select(sc, sv.centre_id)
            .join(sv, sv.id == sc.service_id)
            .where(sc.active.is_(True), sv.active.is_(True))
            .order_by(sc.weekday, sc.start_time, sc.id)
        )
        return [_schedule(s, centre_id) for s, centre_id in rows]

    async def add_closed_day(self, *, centre_id: int, day: date, reason: str) -> bool:
        result = await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.ClosedDay.__table__,
                {"centre_id": centre_id, "day": day, "reason": reason[:200]},
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def closed_days(self, first: date, last: date) -> set[tuple[int, date]]:
        """(centre id, day) pairs closed between `first` and `last`, inclusive."""
        rows = await self._s.execute(
            select(m.ClosedDay.centre_id, m.ClosedDay.day).where(
                m.ClosedDay.day >= first, m.ClosedDay.day <= last
            )
        )
        return {(centre_id, day) for centre_id, day in rows}

    # --- slots ---------------------------------------------------------------------------

    async def slot_starts(self, start: datetime, end: datetime) -> set[tuple[int, datetime]]:
        """(service id, start) of every slot, open or closed, starting in [start, end)."""
        rows = await self._s.execute(
            select(m.Slot.service_id, m.Slot.starts_at).where(
                m.Slot.starts_at >= start, m.Slot.starts_at < end
            )
        )
        return {(service_id, starts_at) for service_id, starts_at in rows}

    async def add_slot(
        self,
        *,
        service_id: int,
        doctor_id: int | None,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
    ) -> bool:
        """False if the service already has a slot starting then (materialising twice)."""
        result = await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.Slot.__table__,
                {
                    "service_id": service_id,
                    "doctor_id": doctor_id,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "capacity": capacity,
                    "booked": 0,
                    "status": SlotStatus.OPEN.value,
                },
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def slot(self, slot_id: int) -> SlotRecord | None:
        row = (await self._s.execute(select(*_SLOT_COLUMNS).where(m.Slot.id == slot_id))).first()
        return _slot(row) if row else None

    async def open_slots(
        self, service_id: int, start: datetime, end: datetime
    ) -> list[SlotRecord]:
        """Open slots of a service starting in [start, end), by time."""
        rows = await self._s.execute(
            select(*_SLOT_COLUMNS)
            .where(
                m.Slot.service_id == service_id,
                m.Slot.status == SlotStatus.OPEN.value,
                m.Slot.starts_at >= start,
                m.Slot.starts_at < end,
            )
            .order_by(m.Slot.starts_at, m.Slot.id)
        )
        return [_slot(r) for r in rows]

    async def take_seat(self, slot_id: int) -> bool:
        """Takes one seat if the slot is open and not full. The only way a seat is taken."""
        result = await self._s.execute(
            update(m.Slot)
            .where(
                m.Slot.id == slot_id,
                m.Slot.status == SlotStatus.OPEN.value,
                m.Slot.booked < m.Slot.capacity,
            )
            .values(booked=m.Slot.booked + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_seat(self, slot_id: int) -> bool:
        result = await self._s.execute(
            update(m.Slot)
            .where(m.Slot.id == slot_id, m.Slot.booked > 0)
            .values(booked=m.Slot.booked - 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def centre_slot_ids(self, centre_id: int, start: datetime, end: datetime) -> list[int]:
        rows = await self._s.scalars(
            select(m.Slot.id)
            .join(m.BookableService, m.BookableService.id == m.Slot.service_id)
            .where(
                m.BookableService.centre_id == centre_id,
                m.Slot.starts_at >= start,
                m.Slot.starts_at < end,
            )
            .order_by(m.Slot.starts_at, m.Slot.id)
        )
        return list(rows)

    async def close_slots(self, slot_ids: Sequence[int]) -> None:
        """Closes slots (no seat can be taken after this); the caller cancels what they held."""
        if slot_ids:
            await self._s.execute(
                update(m.Slot)
                .where(m.Slot.id.in_(slot_ids))
                .values(status=SlotStatus.CLOSED.value, booked=0)
                .execution_options(synchronize_session=False)
            )

    # --- appointments --------------------------------------------------------------------

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

    # --- waitlist ------------------------------------------------------------------------

    async def add_waiting(
        self,
        *,
        slot_id: int,
        resident_id: int,
        family_member_id: int | None,
        person_key: str,
        now: datetime,
    ) -> int | None:
        """A new entry at the back of the line; None if the person is already in it."""
        statement = (
            insert(m.WaitlistEntry)
            .values(
                slot_id=slot_id,
                resident_id=resident_id,
                family_member_id=family_member_id,
                person_key=person_key,
                status=WaitlistStatus.WAITING.value,
                created_at=now,
            )
            .returning(m.WaitlistEntry.id)
        )
        try:
            async with self._s.begin_nested():
                return int((await self._s.execute(statement)).scalar_one())
        except IntegrityError:
            return None

    def _waitlist(self) -> Select[Any]:
        w = m.WaitlistEntry
        return (
            select(
                w.id,
                w.slot_id,
                m.Slot.service_id,
                w.resident_id,
                w.family_member_id,
                w.person_key,
                w.status,
                w.offered_until,
                func.coalesce(m.FamilyMember.display_name, m.Resident.display_name).label(
                    "person"
                ),
            )
            .join(m.Slot, m.Slot.id == w.slot_id)
            .join(m.Resident, m.Resident.id == w.resident_id)
            .outerjoin(m.FamilyMember, m.FamilyMember.id == w.family_member_id)
        )

    @staticmethod
    def _waitlist_row(row: Row[Any]) -> WaitlistRow:
        return WaitlistRow(
            id=row.id,
            slot_id=row.slot_id,
            service_id=row.service_id,
            resident_id=row.resident_id,
            family_member_id=row.family_member_id,
            person_key=row.person_key,
            person_name=row.person,
            status=WaitlistStatus(row.status),
            offered_until=row.offered_until,
        )

    async def waitlist_entry(self, entry_id: int) -> WaitlistRow | None:
        row = (
            await self._s.execute(self._waitlist().where(m.WaitlistEntry.id == entry_id))
        ).first()
        return self._waitlist_row(row) if row else None

    async def waitlist_position(self, entry_id: int) -> int:
        """1-based place among the live entries of the slot (0 once no longer live)."""
        w, ahead = m.WaitlistEntry, aliased(m.WaitlistEntry)
        position = await self._s.scalar(
            select(func.count())
            .select_from(w)
            .join(ahead, ahead.slot_id == w.slot_id)
            .where(
                w.id == entry_id,
                w.status.in_(LIVE_WAITLIST),
                ahead.status.in_(LIVE_WAITLIST),
                (ahead.created_at < w.created_at)
                | and_(ahead.created_at == w.created_at, ahead.id <= w.id),
            )
        )
        return int(position or 0)

    async def next_waiting(self, slot_id: int) -> WaitlistRow | None:
        """The first in line who doesn't meanwhile hold a booking for the same service."""
        w, a = m.WaitlistEntry, m.Appointment
        has_booking = exists().where(
            a.service_id == m.Slot.service_id,
            a.person_key == w.person_key,
            a.status == AppointmentStatus.BOOKED.value,
        )
        row = (
            await self._s.execute(
                self._waitlist()
                .where(
                    w.slot_id == slot_id,
                    w.status == WaitlistStatus.WAITING.value,
                    ~has_booking,
                )
                .order_by(w.created_at, w.id)
                .limit(1)
            )
        ).first()
        return self._waitlist_row(row) if row else None

    async def set_waitlist_status(
        self,
        entry_id: int,
        *,
        from_status: WaitlistStatus,
        to: WaitlistStatus,
        offered_until: datetime | None = None,
        expired_by: datetime | None = None,
        held_after: datetime | None = None,
    ) -> bool:
        """Moves an entry on only from `from_status` (with `expired_by`, only if its hold ran
        out by then; with `held_after`, only if its hold still stands after that instant);
        False if someone else moved it first."""
        w = m.WaitlistEntry
        query = update(w).where(w.id == entry_id, w.status == from_status.value)
        if expired_by is not None:
            query = query.where(w.offered_until <= expired_by)
        if held_after is not None:
            query = query.where(w.offered_until > held_after)
        result = await self._s.execute(
            query.values(status=to.value, offered_until=offered_until).execution_options(
                synchronize_session=False
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def expired_offers(self, now: datetime) -> list[int]:
        w = m.WaitlistEntry
        rows = await self._s.scalars(
            select(w.id)
            .where(w.status == WaitlistStatus.OFFERED.value, w.offered_until <= now)
            .order_by(w.offered_until, w.id)
        )
        return list(rows)

    async def lapse_waitlist(self, slot_ids: Sequence[int]) -> list[int]:
        """Ends every live entry on the slots (they are being closed); returns their ids."""
        if not slot_ids:
            return []
        w = m.WaitlistEntry
        # One conditional update: an entry accepted meanwhile keeps its status (a select and
        # then an update by id would overwrite it).
        rows = await self._s.scalars(
            update(w)
            .where(w.slot_id.in_(slot_ids), w.status.in_(LIVE_WAITLIST))
            .values(status=WaitlistStatus.LAPSED.value, offered_until=None)
            .returning(w.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(rows)
