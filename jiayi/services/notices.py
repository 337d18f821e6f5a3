"""Rendering of booking pushes (appointment reminders, seat offers, closures) for the
dispatcher. Payloads are self-contained, so nothing here reads the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.content.render import Renderer
from jiayi.services.clock import Clock
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.storage.records import Delivery

REMINDER = "reminder"
WAITLIST_OFFER = "waitlist_offer"
BOOKING_CLOSED = "booking_closed"


def _local(iso: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(iso).astimezone(zone)


def _service(payload: dict[str, object], locale: str) -> str:
    key = "service_name_zh" if locale == "zh-CN" else "service_name_en"
    return str(payload[key])


def _centre(payload: dict[str, object], locale: str) -> str:
    key = "centre_name" if locale == "zh-CN" else "centre_name_en"
    return str(payload.get(key) or payload.get("centre_name") or "")


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
        p = json.loads(d.payload)
        # Rendered when it is really sent, so the time left is the real one.
        now = clock.now()
        starts_at = datetime.fromisoformat(p["starts_at"])
        left = starts_at - now
        local_start = starts_at.astimezone(zone)
        text = renderer.render(
            "reminder",
            d.locale,
            minutes=max(0, round(left.total_seconds() / 60)) if left <= MINUTES_AHEAD else None,
            today=local_start.date() == now.astimezone(zone).date(),
            service=_service(p, d.locale),
            starts_at=local_start,
            person=p["person_name"],
            code=p["check_in_code"],
            centre=_centre(p, d.locale),
            phone=p.get("centre_phone"),
            address=p.get("centre_address"),
        )
        # Reminders queued before this field existed keep their buttons (the old behaviour).
        change_until = p.get("change_until")
        can_change = change_until is None or now < datetime.fromisoformat(change_until)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=int(p["appointment_id"]),
            data={"can_change": can_change},
        )

    def offer(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        text = renderer.render(
            "waitlist_offer",
            d.locale,
            service=_service(p, d.locale),
            starts_at=_local(p["starts_at"], zone),
            person=p["person_name"],
            until=_local(p["offered_until"], zone),
            phone=p.get("centre_phone"),
            address=p.get("centre_address"),
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=int(p["waitlist_id"]),
        )

    def closed(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        text = renderer.render(
            "booking_closed",
            d.locale,
            service=_service(p, d.locale),
            starts_at=_local(p["starts_at"], zone),
            person=p["person_name"],
            reason=p.get("reason") or "",
            phone=p.get("centre_phone"),
            address=p.get("centre_address"),
        )
        member = p.get("member_id")
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=int(p["service_id"]),
            member_id=int(member) if member else None,
        )

    dispatcher.register_renderer(REMINDER, reminder, despite_quiet=True)
    dispatcher.register_renderer(WAITLIST_OFFER, offer)
    dispatcher.register_renderer(BOOKING_CLOSED, closed)
