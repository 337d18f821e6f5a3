"""The doctors' desk: the day's appointments at the doctor's centre, attendance and check-in
codes, and referrals. Every action is in the audit log of each resident it showed or changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import careplans, codes, console, points
from jiayi.services.booking.calendar import local_day, local_midnight
from jiayi.services.booking.eligibility import find_service
from jiayi.services.booking.notices import withdraw_reminders
from jiayi.services.booking.seats import find_appointment
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.storage.records import Actor, AppointmentEventKind, AppointmentRecord, AppointmentStatus
from jiayi.storage.uow import UnitOfWork


async def desk_doctor(
    uow: UnitOfWork, doctor_telegram_id: int, admin_ids: frozenset[int] = frozenset()
) -> tuple[int, int]:
    """(doctor id, centre id) of the active doctor using this Telegram account.

    The appointment list, check-in and attendance work on the doctor's own centre. An admin
    who is also a doctor uses them as that doctor; an admin who isn't has no centre here and
    is told so (`admin_not_a_doctor`) rather than refused like a resident (the doctor console,
    services/console.py, does let admins in: its lists aren't tied to a centre).
    """
    doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
    if doctor is None or not doctor.active:
        if doctor_telegram_id in admin_ids:
            raise NotAllowed("admin_not_a_doctor")
        raise NotAllowed("not_a_doctor")
    return doctor.id, doctor.centre_id


async def appointment_at_centre(
    uow: UnitOfWork, centre_id: int, appointment_id: int
) -> AppointmentRecord:
    appointment = await find_appointment(uow, appointment_id)
    service = await uow.booking.service(appointment.service_id)
    if service is None or service.centre_id != centre_id:
        raise NotAllowed("not_your_centre")
    return appointment


async def audit_desk(
    uow: UnitOfWork,
    now: datetime,
    doctor_id: int,
    doctor_telegram_id: int,
    appointments: list[AppointmentRecord],
    action: console.AuditAction,
) -> None:
    """The desk works centre-wide, on residents of every doctor there: each action is in the
    audit log of every resident it showed or changed (own residents too, for one rule), so
    the resident sees it in /mydata. One row per resident and action; `ref_id` is the
    appointment when there is exactly one."""
    await uow.console.audit(
        actor_doctor_id=doctor_id,
        actor_user_id=doctor_telegram_id,
        resident_ids=sorted({a.resident_id for a in appointments}),
        action=str(action),
        at=now,
        ref_id=appointments[0].id if len(appointments) == 1 else None,
    )


async def doctor_day(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    day: date,
    zone: ZoneInfo,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> list[AppointmentRecord]:
    """Every appointment that isn't cancelled at the doctor's centre on a local day, by time;
    audited for each resident on it. `admin_ids` (settings.admin_ids) only changes the refusal
    an admin gets."""
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await desk_doctor(uow, doctor_telegram_id, admin_ids)
        items = await uow.booking.centre_day(
            centre_id, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
        )
        await audit_desk(
            uow, clock.now(), doctor_id, doctor_telegram_id, items, console.AuditAction.DESK_DAY
        )
        await uow.commit()
        return items


async def _mark(
    uow: UnitOfWork, now: datetime, appointment: AppointmentRecord, attended: bool
) -> AppointmentRecord:
    marked, _moved = await mark_moving(uow, now, appointment, attended)
    return marked


async def mark_moving(
    uow: UnitOfWork, now: datetime, appointment: AppointmentRecord, attended: bool
) -> tuple[AppointmentRecord, int]:
    """Records attended / no-show inside the caller's write transaction (services/attendance.py
    uses it too); returns the appointment after and the points moved (0 when none did)."""
    target = AppointmentStatus.ATTENDED if attended else AppointmentStatus.NO_SHOW
    if appointment.status in (
        AppointmentStatus.CANCELLED_RESIDENT,
        AppointmentStatus.CANCELLED_CENTRE,
    ):
        raise InvalidInput("appointment_cancelled")
    if appointment.status is target:
        return appointment, 0
    # From booked, or a correction between attended and no-show; each leaves an event.
    others = {
        AppointmentStatus.BOOKED,
        AppointmentStatus.ATTENDED,
        AppointmentStatus.NO_SHOW,
    } - {target}
    if not await uow.booking.set_status(appointment.id, from_statuses=others, to=target, now=now):
        raise InvalidInput("appointment_cancelled")
    kind = AppointmentEventKind.ATTENDED if attended else AppointmentEventKind.NO_SHOW
    await uow.booking.add_event(appointment.id, kind, Actor.DOCTOR, now)
    moved = await points.on_attendance(uow, now, appointment, attended)
    if appointment.status is AppointmentStatus.BOOKED:
        await withdraw_reminders(uow, appointment.id)
    await careplans.on_attendance(uow, now, appointment, attended)
    return await find_appointment(uow, appointment.id), moved


async def mark_attendance(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    appointment_id: int,
    attended: bool,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> AppointmentRecord:
    """A doctor of the appointment's centre records attended / no-show. Marking the same
    outcome again changes nothing; a cancelled appointment is refused."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await desk_doctor(uow, doctor_telegram_id, admin_ids)
        appointment = await appointment_at_centre(uow, centre_id, appointment_id)
        marked = await _mark(uow, now, appointment, attended)
        await audit_desk(
            uow, now, doctor_id, doctor_telegram_id, [marked], console.AuditAction.ATTENDANCE
        )
        await uow.commit()
    return marked


async def check_in(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    code: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> AppointmentRecord:
    """Marks attended the appointment with this check-in code today at the doctor's centre
    (the centre's local day). Case and spaces don't matter."""
    marked, _previous, _moved = await check_in_marking(
        uow, clock, doctor_telegram_id, code, admin_ids=admin_ids
    )
    return marked


async def check_in_marking(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    code: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> tuple[AppointmentRecord, AppointmentStatus, int]:
    """`check_in`, also giving the status before and the points moved (for 撤销)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await desk_doctor(uow, doctor_telegram_id, admin_ids)
        zone = ZoneInfo(await uow.booking.centre_timezone(centre_id) or "UTC")
        today = local_day(now, zone)
        appointment = await uow.booking.by_check_in_code(
            centre_id,
            codes.normalise_code(code),
            local_midnight(today, zone),
            local_midnight(today + timedelta(days=1), zone),
        )
        if appointment is None:
            raise NotFound("check_in_code_unknown")
        marked, moved = await mark_moving(uow, now, appointment, attended=True)
        await audit_desk(
            uow, now, doctor_id, doctor_telegram_id, [marked], console.AuditAction.CHECK_IN
        )
        await uow.commit()
    return marked, appointment.status, moved


async def add_referral(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    service_id: int,
    valid_days: int = 90,
) -> None:
    """The resident's own family doctor refers them (or a member they manage) to a
    referral-only service of the doctor's centre, valid for `valid_days` from today."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await desk_doctor(uow, doctor_telegram_id)
        contract = await uow.contracts.open_for(resident_id)
        if contract is None or contract.doctor_id != doctor_id:
            raise NotAllowed("not_your_centre")
        if member_id is not None:
            member = await uow.family.get(member_id)
            if member is None or member.resident_id != resident_id:
                raise NotAllowed("member_not_yours")
        service = await find_service(uow, service_id)
        if service.centre_id != centre_id:
            raise NotFound("service_not_found")
        zone = ZoneInfo(await uow.booking.centre_timezone(centre_id) or "UTC")
        await uow.booking.add_referral(
            resident_id=resident_id,
            family_member_id=member_id,
            service_id=service.id,
            doctor_id=doctor_id,
            valid_until=local_day(now, zone) + timedelta(days=valid_days),
            now=now,
        )
        await uow.commit()
