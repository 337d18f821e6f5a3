"""What booking queues in the outbox: appointment reminders, seat offers to the waiting list and
closure notices. Payloads are self-contained JSON; the dedupe keys (`appt:<id>:…`,
`wait:<id>:…`) let a cancellation withdraw what is pending."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from jiayi.services.booking.eligibility import find_service
from jiayi.storage.records import (
    AppointmentRecord,
    BookableServiceRecord,
    CentreRecord,
    SlotRecord,
    WaitlistRow,
)
from jiayi.storage.uow import UnitOfWork

KIND_REMINDER = "reminder"
KIND_WAITLIST_OFFER = "waitlist_offer"
KIND_BOOKING_CLOSED = "booking_closed"


REMINDER_LEADS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("2h", timedelta(hours=2)),
)


def _payload(values: dict[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


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
            dedupe_key=f"appt:{appointment.id}:{lead}",
            payload=_payload(
                {
                    "appointment_id": appointment.id,
                    "lead": lead,
                    "service_name_zh": appointment.service_name_zh,
                    "service_name_en": appointment.service_name_en,
                    "starts_at": appointment.starts_at.isoformat(),
                    "person_name": appointment.person_name,
                    "check_in_code": appointment.check_in_code,
                    "centre_name": appointment.centre_name,
                    "centre_name_en": appointment.centre_name_en,
                    "change_until": change_until.isoformat(),
                    "centre_phone": appointment.centre_phone,
                    "centre_address": appointment.centre_address,
                }
            ),
            not_before=at,
            now=now,
        )


async def withdraw_reminders(uow: UnitOfWork, appointment_id: int) -> None:
    await uow.booking.cancel_pending(f"appt:{appointment_id}:")


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
        dedupe_key=f"wait:{entry.id}:offer",
        payload=_payload(
            {
                "waitlist_id": entry.id,
                "service_name_zh": service.name_zh,
                "service_name_en": service.name_en,
                "starts_at": slot.starts_at.isoformat(),
                "person_name": entry.person_name,
                "offered_until": until.isoformat(),
                "centre_phone": centre.phone if centre else None,
                "centre_address": centre.address if centre else None,
            }
        ),
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
        dedupe_key=f"appt:{appointment.id}:closed",
        payload=_payload(
            {
                "appointment_id": appointment.id,
                "service_id": appointment.service_id,
                "member_id": appointment.family_member_id,
                "service_name_zh": appointment.service_name_zh,
                "service_name_en": appointment.service_name_en,
                "starts_at": appointment.starts_at.isoformat(),
                "person_name": appointment.person_name,
                "reason": reason,
                "centre_phone": appointment.centre_phone,
                "centre_address": appointment.centre_address,
            }
        ),
        not_before=now,
        now=now,
    )
