"""Rendering of booking pushes (appointment reminders, seat offers, closures) for the
dispatcher. Payloads are self-contained (services.push.appointments), so nothing here reads
the database."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.content.render import Renderer
from jiayi.services.clock import Clock
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.push import PushKind
from jiayi.services.push.appointments import AppointmentReminder, BookingClosed, WaitlistOffer
from jiayi.storage.records import Delivery

# Up to this far ahead, a reminder says "in X minutes" rather than "today"/"tomorrow".
MINUTES_AHEAD = timedelta(hours=3)


def register(
    dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo, clock: Clock
) -> None:
    """Plugs the booking push kinds into the dispatcher.

    Appointment reminders ignore quiet hours: one held until quiet hours end arrives after
    the time it was for (a "2 hours before" reminder for 08:30 at 08:00, its cancel button
    already refused). They are at most two per appointment the resident booked themselves,
    at times tied to it; moving them to the evening before would lose the same-day nudge."""

    def reminder(d: Delivery) -> OutgoingMessage:
        p = AppointmentReminder.from_json(d.payload)
        # Rendered when it is really sent, so the time left is the real one.
        now = clock.now()
        left = p.starts_at - now
        local_start = p.starts_at.astimezone(zone)
        text = renderer.render(
            "reminder",
            d.locale,
            minutes=max(0, round(left.total_seconds() / 60)) if left <= MINUTES_AHEAD else None,
            today=local_start.date() == now.astimezone(zone).date(),
            service=p.service.get(d.locale),
            starts_at=local_start,
            person=p.person_name,
            code=p.check_in_code,
            centre=p.centre(d.locale),
            phone=p.centre_phone,
            address=p.centre_address,
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=p.appointment_id,
            # From `change_until` on, cancel/reschedule are refused: no buttons for them.
            data={"can_change": p.can_change(now)},
            payload=p,
        )

    def offer(d: Delivery) -> OutgoingMessage:
        p = WaitlistOffer.from_json(d.payload)
        text = renderer.render(
            "waitlist_offer",
            d.locale,
            service=p.service.get(d.locale),
            starts_at=p.starts_at.astimezone(zone),
            person=p.person_name,
            until=p.offered_until.astimezone(zone),
            phone=p.centre_phone,
            address=p.centre_address,
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=p.waitlist_id,
            payload=p,
        )

    def closed(d: Delivery) -> OutgoingMessage:
        p = BookingClosed.from_json(d.payload)
        text = renderer.render(
            "booking_closed",
            d.locale,
            service=p.service.get(d.locale),
            starts_at=p.starts_at.astimezone(zone),
            person=p.person_name,
            reason=p.reason or "",
            phone=p.centre_phone,
            address=p.centre_address,
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=p.service_id,
            member_id=p.member_id,
            payload=p,
        )

    dispatcher.register_renderer(PushKind.REMINDER, reminder, despite_quiet=True)
    dispatcher.register_renderer(PushKind.WAITLIST_OFFER, offer)
    dispatcher.register_renderer(PushKind.BOOKING_CLOSED, closed)
