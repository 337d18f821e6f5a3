"""A resident's appointments: booking a seat, seeing, cancelling and moving a booking, and the
waiting list (joining it, accepting a held seat).

Every function acts for the Telegram user who sent the update: a family member can only be
booked, seen or cancelled by the resident who manages them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.services.booking.calendar import local_day
from jiayi.services.booking.eligibility import check_slot, find_service, last_referral_day
from jiayi.services.booking.notices import withdraw_offer
from jiayi.services.booking.seats import (
    OFFER_HOLD,
    bookable_slot,
    cancel_booked,
    find_appointment,
    insert_appointment,
    offer_free_seats,
    on_new_booking,
    owned_appointment,
    release_offer,
    take_seat,
)
from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, NotFound
from jiayi.services.people import require_person, require_resident
from jiayi.storage.records import (
    Actor,
    AppointmentEventKind,
    AppointmentRecord,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistRow,
    WaitlistStatus,
)
from jiayi.storage.uow import UnitOfWork


async def book(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    slot_id: int,
    member_id: int | None,
    zone: ZoneInfo,
) -> AppointmentRecord:
    """Takes a seat and books it, queueing the 24 h and 2 h reminders."""
    now = clock.now()
    async with uow:
        person = await require_person(uow, telegram_user_id, member_id)
        slot = await bookable_slot(uow, now, zone, person, slot_id)
        if slot.free == 0:
            raise DomainError("slot_full")
    # The checks above ran in a read-only transaction. Only the two statements that decide
    # (seat, appointment) hold the write lock: SQLite has one writer at a time, and a crowd
    # pressing "book" together for the last seats must not queue behind each other's reads.
    # Nothing is lost by checking early: a seat or a duplicate is still decided below.
    async with uow:
        await uow.begin_write()
        appointment_id = await take_seat(uow, now, person, slot)
        appointment = await find_appointment(uow, appointment_id)
        await on_new_booking(uow, appointment, now)
        await uow.commit()
    return appointment


async def my_appointments(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int
) -> list[AppointmentRecord]:
    """Booked appointments of the resident and their family that haven't ended, by time."""
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        return await uow.booking.upcoming_for_resident(resident.id, clock.now())


async def get_appointment(
    uow: UnitOfWork, telegram_user_id: int, appointment_id: int
) -> AppointmentRecord:
    """Only the resident who booked it (who manages the family member) can see it."""
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        return await owned_appointment(uow, resident, appointment_id)


async def cancel(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, appointment_id: int
) -> AppointmentRecord:
    """Cancels up to the service's cutoff before the start; withdraws the reminders and holds
    the freed seat for the first person waiting."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        appointment = await owned_appointment(uow, resident, appointment_id)
        service = await uow.booking.service(appointment.service_id)
        await cancel_booked(
            uow,
            now,
            appointment,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.RESIDENT,
            event=AppointmentEventKind.CANCELLED,
            cutoff=service.cancel_cutoff if service else timedelta(0),
        )
        await offer_free_seats(uow, now, appointment.slot_id)
        cancelled = await find_appointment(uow, appointment.id)
        await uow.commit()
    return cancelled


async def _centre_zone(uow: UnitOfWork, service_id: int) -> ZoneInfo:
    service = await find_service(uow, service_id)
    name = await uow.booking.centre_timezone(service.centre_id)
    return ZoneInfo(name or "UTC")


async def reschedule(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    appointment_id: int,
    new_slot_id: int,
    zone: ZoneInfo | None = None,
) -> AppointmentRecord:
    """Moves a booking to another slot of the same service in one transaction: the new seat is
    taken and the old one given back together, or, on any refusal, nothing changes. The
    reminders follow the new time. `zone` defaults to the centre's time zone."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        old = await owned_appointment(uow, resident, appointment_id)
        new_slot = await uow.booking.slot(new_slot_id)
        if new_slot is None or new_slot.service_id != old.service_id:
            raise NotFound("slot_not_found")
        if new_slot.id == old.slot_id and old.status is AppointmentStatus.BOOKED:
            return old
        service = await find_service(uow, old.service_id)
        zone = zone or await _centre_zone(uow, service.id)
        person = await require_person(uow, telegram_user_id, old.family_member_id)
        # The old booking goes first: the one-active-booking rule would refuse the new one.
        await cancel_booked(
            uow,
            now,
            old,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.RESIDENT,
            event=AppointmentEventKind.RESCHEDULED,
            cutoff=service.cancel_cutoff,
        )
        new_id = await take_seat(
            uow, now, person, await bookable_slot(uow, now, zone, person, new_slot.id)
        )
        await offer_free_seats(uow, now, old.slot_id)
        moved = await find_appointment(uow, new_id)
        await on_new_booking(uow, moved, now)
        await uow.commit()
    return moved


async def _waitlist_entry(uow: UnitOfWork, row: WaitlistRow) -> WaitlistEntry:
    return WaitlistEntry(
        id=row.id,
        slot_id=row.slot_id,
        position=await uow.booking.waitlist_position(row.id),
        status=row.status,
        offered_until=row.offered_until,
    )


async def join_waitlist(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    slot_id: int,
    member_id: int | None,
    zone: ZoneInfo | None = None,
) -> WaitlistEntry:
    """Joins the line for a slot. If a seat happens to be free it is held for the first in
    line at once (perhaps this person: then the entry comes back `offered`)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        person = await require_person(uow, telegram_user_id, member_id)
        slot = await uow.booking.slot(slot_id)
        if slot is None:
            raise NotFound("slot_not_found")
        service = await find_service(uow, slot.service_id)
        zone = zone or await _centre_zone(uow, service.id)
        referral_until = await last_referral_day(uow, service, person, local_day(now, zone))
        check_slot(slot, service, person, now, zone, referral_until)
        if await uow.booking.active_for_person(service.id, person.key) is not None:
            raise DomainError("already_booked")
        entry_id = await uow.booking.add_waiting(
            slot_id=slot.id,
            resident_id=person.resident.id,
            family_member_id=person.member_id,
            person_key=person.key,
            now=now,
        )
        if entry_id is None:
            raise DomainError("already_waiting")
        await offer_free_seats(uow, now, slot.id)
        row = await uow.booking.waitlist_entry(entry_id)
        assert row is not None
        entry = await _waitlist_entry(uow, row)
        await uow.commit()
    return entry


async def accept_offer(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, waitlist_id: int, zone: ZoneInfo
) -> AppointmentRecord:
    """Turns a held seat into an appointment while the hold lasts (`offer_expired` after).

    The `offered → accepted` update is the guard, not the read before it: the expiry job, a
    closure or a second press can move the entry between the two, and only the one update
    that changes the row may go on to use the held seat.
    """
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        entry = await uow.booking.waitlist_entry(waitlist_id)
        if entry is None or entry.resident_id != resident.id:
            raise DomainError("offer_expired")
        if await uow.booking.active_for_person(entry.service_id, entry.person_key) is not None:
            # Booked elsewhere meanwhile: pass the held seat on rather than sit on it.
            if not await release_offer(uow, now, entry, WaitlistStatus.LEFT, OFFER_HOLD):
                raise DomainError("offer_expired")
            await uow.commit()
            raise DomainError("already_booked")
        if not await uow.booking.set_waitlist_status(
            entry.id,
            from_status=WaitlistStatus.OFFERED,
            to=WaitlistStatus.ACCEPTED,
            held_after=now,
        ):
            raise DomainError("offer_expired")
        slot = await uow.booking.slot(entry.slot_id)
        assert slot is not None
        person = await require_person(uow, telegram_user_id, entry.family_member_id)
        # The seat was taken when the offer was made: no second increment here.
        appointment_id = await insert_appointment(uow, slot, person, now, Actor.RESIDENT)
        await withdraw_offer(uow, entry.id)
        appointment = await find_appointment(uow, appointment_id)
        await on_new_booking(uow, appointment, now)
        await uow.commit()
    return appointment
