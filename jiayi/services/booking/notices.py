"""What booking queues in the outbox: appointment reminders, seat offers to the waiting list and
closure notices. Payloads are the appointment family's typed payloads (services/push/
appointments.py); its dedupe keys (`appt:<id>:…`, `wait:<id>:…`) let a cancellation withdraw
what is pending."""

from __future__ import annotations

from datetime import datetime, timedelta

from jiayi.services.booking.eligibility import find_service
from jiayi.services.push import PushKind
from jiayi.services.push import appointments as push
from jiayi.storage.records import (
    AppointmentRecord,
    BookableServiceRecord,
    CentreRecord,
    SlotRecord,
    WaitlistRow,
)
from jiayi.storage.uow import UnitOfWork

KIND_REMINDER = PushKind.REMINDER
KIND_WAITLIST_OFFER = PushKind.WAITLIST_OFFER
KIND_BOOKING_CLOSED = PushKind.BOOKING_CLOSED


REMINDER_LEADS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("2h", timedelta(hours=2)),
)


async def enqueue_reminders(
    uow: UnitOfWork, appointment: AppointmentRecord, now: datetime
) -> None:
    service = await find_service(uow, appointment.service_id)
    # From then on cancel/reschedule are refused: reminders sent later don't offer them.
    change_until = appointment.starts_at - service.cancel_cutoff
    for lead, before in REMINDER_LEADS:
        at = appointment.starts_at - before
        if at <= now:
            continue
        await uow.outbox.enqueue(
            resident_id=appointment.resident_id,
            kind=KIND_REMINDER,
            dedupe_key=push.reminder_key(appointment.id, lead),
            payload=push.AppointmentReminder(
                appointment_id=appointment.id,
                lead=lead,
                service=push.ServiceNames(
                    appointment.service_name_zh, appointment.service_name_en
                ),
                starts_at=appointment.starts_at,
                person_name=appointment.person_name,
                check_in_code=appointment.check_in_code,
                centre_name=appointment.centre_name,
                centre_name_en=appointment.centre_name_en,
                change_until=change_until,
                centre_phone=appointment.centre_phone,
                centre_address=appointment.centre_address,
            ).to_json(),
            not_before=at,
            now=now,
        )


async def withdraw_reminders(uow: UnitOfWork, appointment_id: int) -> None:
    await uow.booking.cancel_pending(push.appointment_prefix(appointment_id))


async def withdraw_offer(uow: UnitOfWork, waitlist_id: int) -> None:
    await uow.booking.cancel_pending(push.waitlist_prefix(waitlist_id))


async def enqueue_offer(
    uow: UnitOfWork,
    entry: WaitlistRow,
    service: BookableServiceRecord,
    slot: SlotRecord,
    centre: CentreRecord | None,
    until: datetime,
    now: datetime,
) -> None:
    """The seat held for the person waiting (`entry`) until `until`, offered to them."""
    await uow.outbox.enqueue(
        resident_id=entry.resident_id,
        kind=KIND_WAITLIST_OFFER,
        dedupe_key=push.offer_key(entry.id),
        payload=push.WaitlistOffer(
            waitlist_id=entry.id,
            service=push.ServiceNames(service.name_zh, service.name_en),
            starts_at=slot.starts_at,
            person_name=entry.person_name,
            offered_until=until,
            centre_phone=centre.phone if centre else None,
            centre_address=centre.address if centre else None,
        ).to_json(),
        not_before=now,
        now=now,
    )


async def enqueue_closed(
    uow: UnitOfWork, appointment: AppointmentRecord, reason: str, now: datetime
) -> None:
    """The centre cancelled the appointment (a closed day or slot): say so, offering to rebook."""
    await uow.outbox.enqueue(
        resident_id=appointment.resident_id,
        kind=KIND_BOOKING_CLOSED,
        dedupe_key=push.closed_key(appointment.id),
        payload=push.BookingClosed(
            appointment_id=appointment.id,
            service_id=appointment.service_id,
            member_id=appointment.family_member_id,
            service=push.ServiceNames(appointment.service_name_zh, appointment.service_name_en),
            starts_at=appointment.starts_at,
            person_name=appointment.person_name,
            reason=reason,
            centre_phone=appointment.centre_phone,
            centre_address=appointment.centre_address,
        ).to_json(),
        not_before=now,
        now=now,
    )
