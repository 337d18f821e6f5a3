"""Rendering of booking pushes (appointment reminders, seat offers, closures) for the
dispatcher. Payloads are self-contained, so nothing here reads the database."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from content.render import Renderer
from storage.records import Delivery

from services.delivery import OutboxDispatcher, OutgoingMessage

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


def register(dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo) -> None:
    """Plugs the booking push kinds into the dispatcher."""

    def reminder(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        text = renderer.render(
            "reminder",
            d.locale,
            lead=p["lead"],
            service=_service(p, d.locale),
            starts_at=_local(p["starts_at"], zone),
            person=p["person_name"],
            code=p["check_in_code"],
            centre=_centre(p, d.locale),
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=int(p["appointment_id"]),
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

    dispatcher.register_renderer(REMINDER, reminder)
    dispatcher.register_renderer(WAITLIST_OFFER, offer)
    dispatcher.register_renderer(BOOKING_CLOSED, closed)
