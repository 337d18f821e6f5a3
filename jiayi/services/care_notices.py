"""Rendering of care-plan pushes for the dispatcher: item reminders and doctors' nudges to
residents, and digests to doctors. Payloads are self-contained (services.push.care); nothing
here reads the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jiayi.content.render import Renderer
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.push import PushKind
from jiayi.services.push.care import (
    DIGEST_MAX_RESIDENTS,
    CareCard,
    CareDigest,
    CareLine,
    CareNudge,
    CareReminder,
    care_reminder_from_json,
)
from jiayi.storage.records import Delivery

__all__ = ["DIGEST_MAX_RESIDENTS", "register", "reminder_text"]


def _lines(items: Iterable[CareLine], locale: str) -> list[dict[str, object]]:
    return [
        {
            "name": i.name(locale),
            "person": i.person,
            "own": i.own,
            "due": i.due,
            "readings": i.readings,
            "bp": list(i.bp) if i.bp else None,
            "fasting": i.fasting,
            "urgent": i.urgent,
        }
        for i in items
    ]


def _items(items: Iterable[Mapping[str, Any]], locale: str) -> list[dict[str, object]]:
    """Digest lines as the planner builds them (dicts, see services.digest_parts), worded as
    the template's entries: how digest_parts checks a part's rendered length."""
    return _lines((CareLine.read(i) for i in items), locale)


def reminder_text(renderer: Renderer, locale: str, p: CareReminder) -> str:
    """A single item's reminder: pushed, or opened from a household card."""
    return renderer.render(
        "care_reminder",
        locale,
        item=p.name(locale),
        person=p.person,
        own=p.own,
        due=p.due,
        dose=p.dose,
        overdue=p.overdue,
        check_record=p.check_record,
        note=p.note(locale),
    )


def register(dispatcher: OutboxDispatcher, renderer: Renderer) -> None:
    """Plugs the care-plan push kinds into the dispatcher."""

    def household(d: Delivery, card: CareCard) -> OutgoingMessage:
        # Items booked or done after the card was queued were withdrawn from it.
        items = card.shown()
        text = renderer.render(
            "care_reminders",
            d.locale,
            items=[
                {
                    "item": i.name(d.locale),
                    "person": i.person,
                    "own": i.own,
                    "due": i.due,
                    "dose": i.dose,
                    "overdue": i.overdue,
                    "note": i.note(d.locale),
                }
                for i in items
            ],
            overdue=all(i.overdue for i in items),
            check_record=any(i.check_record for i in items),
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            data={
                "items": [
                    {
                        "rule": i.rule,
                        "due": i.due.isoformat(),
                        "member_id": i.member_id,
                        "service_id": i.service_id,
                        "name": i.name(d.locale),
                        "person": None if i.own else i.person,
                    }
                    for i in items
                ]
            },
            payload=card,
        )

    def reminder(d: Delivery) -> OutgoingMessage:
        p = care_reminder_from_json(d.payload)
        if isinstance(p, CareCard):  # several items due the same day
            return household(d, p)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=reminder_text(renderer, d.locale, p),
            ref_id=p.service_id,
            member_id=p.member_id or None,
            data={"rule": p.rule, "due": p.due.isoformat()},
            payload=p,
        )

    def nudge(d: Delivery) -> OutgoingMessage:
        p = CareNudge.from_json(d.payload)
        text = renderer.render(
            "care_nudge", d.locale, doctor=p.doctor, items=_lines(p.items, d.locale)
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            payload=p,
        )

    def digest(d: Delivery) -> OutgoingMessage:
        p = CareDigest.from_json(d.payload)
        locale = d.locale or renderer.default_locale
        shown = p.shown()
        text = renderer.render(
            "care_digest",
            locale,
            day=p.day,
            residents=[{"name": r.name, "entries": _lines(r.items, locale)} for r in shown],
            more=len(p.residents) - len(shown),
            part=p.part,
            parts=p.parts,
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=locale,
            kind=d.kind,
            text=text,
            # A nudge button only for residents with a care item (CareDigest.nudgeable).
            data={"residents": p.nudgeable()},
            payload=p,
        )

    dispatcher.register_renderer(PushKind.CARE_REMINDER, reminder)
    dispatcher.register_renderer(PushKind.CARE_NUDGE, nudge)
    dispatcher.register_renderer(PushKind.CARE_DIGEST, digest)
