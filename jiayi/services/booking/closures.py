"""A centre closing a day or a slot: its appointments are cancelled by the centre, each with a
notice offering to rebook, and its waiting list lapses."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.booking.calendar import local_midnight
from jiayi.services.booking.notices import enqueue_closed, withdraw_offer, withdraw_reminders
from jiayi.services.clock import Clock
from jiayi.services.errors import NotFound
from jiayi.storage.records import Actor, AppointmentEventKind, AppointmentRecord, AppointmentStatus
from jiayi.storage.uow import UnitOfWork


async def close_day(
    uow: UnitOfWork, clock: Clock, centre_id: int, day: date, zone: ZoneInfo, reason: str
) -> list[AppointmentRecord]:
    """Closes a centre for a local day: its slots close, their appointments are cancelled by
    the centre (reminders withdrawn, a `booking_closed` notice queued for each so the bot can
    offer rebooking), waitlist entries lapse. Returns the appointments cancelled."""
    async with uow:
        await uow.begin_write()
        await uow.booking.add_closed_day(centre_id=centre_id, day=day, reason=reason)
        slot_ids = await uow.booking.centre_slot_ids(
            centre_id, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
        )
        affected = await _close_slots(uow, slot_ids, clock.now(), reason)
        await uow.commit()
    return affected


async def close_slot(
    uow: UnitOfWork, clock: Clock, slot_id: int, reason: str
) -> list[AppointmentRecord]:
    """Closes one slot, with the same consequences as closing a day."""
    async with uow:
        await uow.begin_write()
        if await uow.booking.slot(slot_id) is None:
            raise NotFound("slot_not_found")
        affected = await _close_slots(uow, [slot_id], clock.now(), reason)
        await uow.commit()
    return affected


async def _close_slots(
    uow: UnitOfWork, slot_ids: list[int], now: datetime, reason: str
) -> list[AppointmentRecord]:
    # Close first, then collect: the closing update waits for any booking that already took a
    # seat (its row lock) and turns every later one away, so the list read after it is
    # complete. Read first and a booking committing in between keeps its seat on a closed day.
    await uow.booking.close_slots(slot_ids)
    # Lapse the held offers before collecting too: an acceptance in flight holds its waitlist
    # row (it took its seat when the offer was made, so the slot update doesn't wait for it);
    # this update waits for it to commit, so its appointment is in the list read next.
    for entry_id in await uow.booking.lapse_waitlist(slot_ids):
        await withdraw_offer(uow, entry_id)
    cancelled: list[int] = []
    for appointment_id in await uow.booking.booked_on_slots(slot_ids):
        moved = await uow.booking.set_status(
            appointment_id,
            from_statuses=(AppointmentStatus.BOOKED,),
            to=AppointmentStatus.CANCELLED_CENTRE,
            now=now,
        )
        if moved:
            await uow.booking.add_event(
                appointment_id, AppointmentEventKind.CANCELLED, Actor.CENTRE, now
            )
            await withdraw_reminders(uow, appointment_id)
            cancelled.append(appointment_id)
    affected = await uow.booking.appointments(cancelled)
    for appointment in affected:
        await enqueue_closed(uow, appointment, reason, now)
    return affected
