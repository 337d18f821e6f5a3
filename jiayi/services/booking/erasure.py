"""Booking's part in erasing an account (services/privacy.py): its places and bookings given
back, each freed seat offered on."""

from __future__ import annotations

from datetime import datetime

from jiayi.services.booking.seats import cancel_booked, offer_free_seats
from jiayi.storage.records import Actor, AppointmentEventKind, AppointmentStatus, WaitlistStatus
from jiayi.storage.uow import UnitOfWork


async def release_for_erasure(
    uow: UnitOfWork,
    now: datetime,
    resident_id: int,
    waitlist_ids: list[int],
    member_id: int | None = None,
) -> int:
    """Within the caller's write transaction: the account's live waiting-list places are left
    (held seats given back), its upcoming bookings (with `member_id`: only that family
    member's) cancelled by the system, and each freed seat offered to the next person
    waiting. Returns the bookings cancelled."""
    slots: set[int] = set()
    for entry_id in waitlist_ids:
        entry = await uow.booking.waitlist_entry(entry_id)
        if entry is None:
            continue
        if entry.status is WaitlistStatus.WAITING:
            await uow.booking.set_waitlist_status(
                entry.id, from_status=WaitlistStatus.WAITING, to=WaitlistStatus.LEFT
            )
        elif entry.status is WaitlistStatus.OFFERED and await uow.booking.set_waitlist_status(
            entry.id, from_status=WaitlistStatus.OFFERED, to=WaitlistStatus.LEFT
        ):
            await uow.booking.release_seat(entry.slot_id)
            slots.add(entry.slot_id)
    upcoming = [
        a
        for a in await uow.booking.upcoming_for_resident(resident_id, now)
        if member_id is None or a.family_member_id == member_id
    ]
    for appointment in upcoming:
        await cancel_booked(
            uow,
            now,
            appointment,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.SYSTEM,
            event=AppointmentEventKind.CANCELLED,
            cutoff=None,
        )
        slots.add(appointment.slot_id)
    for slot_id in sorted(slots):
        await offer_free_seats(uow, now, slot_id)
    return len(upcoming)
