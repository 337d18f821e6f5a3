"""Seats and appointments: the conditional seat count, the appointment that fills a seat, giving
a seat back, and holding a freed seat for the next person waiting."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import careplans, codes
from jiayi.services.booking.calendar import local_day
from jiayi.services.booking.eligibility import check_slot, find_service, last_referral_day
from jiayi.services.booking.notices import (
    enqueue_offer,
    enqueue_reminders,
    withdraw_offer,
    withdraw_reminders,
)
from jiayi.services.errors import DomainError, InvalidInput, NotFound
from jiayi.services.people import Person
from jiayi.storage.records import (
    Actor,
    AppointmentEventKind,
    AppointmentRecord,
    AppointmentStatus,
    ResidentRecord,
    SlotRecord,
    SlotStatus,
    WaitlistRow,
    WaitlistStatus,
)
from jiayi.storage.uow import UnitOfWork

CHECK_IN_ALPHABET = codes.ALPHABET
CHECK_IN_CODE_LENGTH = 6
OFFER_HOLD = timedelta(minutes=30)


def new_check_in_code() -> str:
    return codes.new_code(CHECK_IN_CODE_LENGTH)


async def find_appointment(uow: UnitOfWork, appointment_id: int) -> AppointmentRecord:
    found = await uow.booking.appointment(appointment_id)
    if found is None:
        raise NotFound("appointment_not_found")
    return found


async def owned_appointment(
    uow: UnitOfWork, resident: ResidentRecord, appointment_id: int
) -> AppointmentRecord:
    appointment = await uow.booking.appointment(appointment_id)
    if appointment is None or appointment.resident_id != resident.id:
        raise NotFound("appointment_not_found")
    return appointment


async def insert_appointment(
    uow: UnitOfWork, slot: SlotRecord, person: Person, now: datetime, actor: Actor
) -> int:
    """The appointment for a seat already taken; `already_booked` undoes the whole transaction,
    the seat included, because the caller's unit of work is left without a commit."""
    appointment_id = await uow.booking.add_appointment(
        slot_id=slot.id,
        service_id=slot.service_id,
        resident_id=person.resident.id,
        family_member_id=person.member_id,
        person_key=person.key,
        new_code=new_check_in_code,
        now=now,
    )
    if appointment_id is None:
        raise DomainError("already_booked")
    await uow.booking.add_event(appointment_id, AppointmentEventKind.BOOKED, actor, now)
    return appointment_id


async def bookable_slot(
    uow: UnitOfWork, now: datetime, zone: ZoneInfo, person: Person, slot_id: int
) -> SlotRecord:
    """The slot, once every rule that doesn't depend on the seat count has passed."""
    slot = await uow.booking.slot(slot_id)
    if slot is None:
        raise NotFound("slot_not_found")
    service = await find_service(uow, slot.service_id)
    referral_until = await last_referral_day(uow, service, person, local_day(now, zone))
    check_slot(slot, service, person, now, zone, referral_until)
    # Asking first gives the common case a clear answer without touching the seat count; the
    # unique index still decides when two requests race.
    if await uow.booking.active_for_person(service.id, person.key) is not None:
        raise DomainError("already_booked")
    return slot


async def take_seat(uow: UnitOfWork, now: datetime, person: Person, slot: SlotRecord) -> int:
    """The conditional seat increment, then the appointment; the database decides both.

    The person's active booking is looked up once more first: under SQLite's write lock that
    answer is final and spares the seat increment and the failing insert; on PostgreSQL two
    requests can both pass it, and the unique index turns the later one away.
    """
    if await uow.booking.active_for_person(slot.service_id, person.key) is not None:
        raise DomainError("already_booked")
    if not await uow.booking.take_seat(slot.id):
        current = await uow.booking.slot(slot.id)
        closed = current is None or current.status is not SlotStatus.OPEN
        raise DomainError("slot_closed" if closed else "slot_full")
    return await insert_appointment(uow, slot, person, now, Actor.RESIDENT)


async def on_new_booking(uow: UnitOfWork, appointment: AppointmentRecord, now: datetime) -> None:
    """What every new booked appointment brings, however it was made (booked, moved, or a
    waiting-list offer accepted): its reminders, and the care plan's "please book" reminders
    for the item it fulfils withdrawn."""
    await enqueue_reminders(uow, appointment, now)
    await careplans.on_booked(uow, appointment)


async def cancel_booked(
    uow: UnitOfWork,
    now: datetime,
    appointment: AppointmentRecord,
    *,
    to: AppointmentStatus,
    actor: Actor,
    event: AppointmentEventKind,
    cutoff: timedelta | None,
) -> None:
    """Cancels a booked appointment and gives its seat back (the caller offers it on)."""
    if appointment.status in (
        AppointmentStatus.CANCELLED_RESIDENT,
        AppointmentStatus.CANCELLED_CENTRE,
    ):
        raise InvalidInput("appointment_cancelled")
    if cutoff is not None and (
        appointment.status is not AppointmentStatus.BOOKED or now > appointment.starts_at - cutoff
    ):
        raise DomainError("cancel_too_late", hours=_hours(cutoff))
    moved = await uow.booking.set_status(
        appointment.id, from_statuses=(AppointmentStatus.BOOKED,), to=to, now=now
    )
    if not moved:
        raise InvalidInput("appointment_cancelled")
    await uow.booking.release_seat(appointment.slot_id)
    await uow.booking.add_event(appointment.id, event, actor, now)
    await withdraw_reminders(uow, appointment.id)


def _hours(span: timedelta) -> int | float:
    hours = span.total_seconds() / 3600
    return int(hours) if hours.is_integer() else round(hours, 1)


async def offer_free_seats(
    uow: UnitOfWork, now: datetime, slot_id: int, hold: timedelta = OFFER_HOLD
) -> int:
    """Holds each free seat of the slot for the next person waiting; returns offers made.

    A held seat counts as booked, so nobody else can take it while the offer stands.
    """
    slot = await uow.booking.slot(slot_id)
    if slot is None or slot.status is not SlotStatus.OPEN or slot.starts_at <= now:
        return 0
    service = await uow.booking.service(slot.service_id)
    if service is None:
        return 0
    centre = await uow.booking.centre(service.centre_id)
    offers = 0
    while (entry := await uow.booking.next_waiting(slot_id)) is not None:
        if not await uow.booking.take_seat(slot_id):
            break
        until = min(now + hold, slot.starts_at)
        if not await uow.booking.set_waitlist_status(
            entry.id,
            from_status=WaitlistStatus.WAITING,
            to=WaitlistStatus.OFFERED,
            offered_until=until,
        ):
            await uow.booking.release_seat(slot_id)
            break
        await enqueue_offer(uow, entry, service, slot, centre, until, now)
        offers += 1
    return offers


async def release_offer(
    uow: UnitOfWork, now: datetime, entry: WaitlistRow, to: WaitlistStatus, hold: timedelta
) -> bool:
    """Ends a held offer, gives the seat back and offers it to the next in line."""
    moved = await uow.booking.set_waitlist_status(
        entry.id,
        from_status=WaitlistStatus.OFFERED,
        to=to,
        offered_until=None,
        expired_by=now if to is WaitlistStatus.LAPSED else None,
    )
    if not moved:
        return False
    await uow.booking.release_seat(entry.slot_id)
    await withdraw_offer(uow, entry.id)
    await offer_free_seats(uow, now, entry.slot_id, hold)
    return True
