"""Rendering of care-plan pushes for the dispatcher: item reminders and doctors' nudges to
residents, and digests to doctors. Payloads are self-contained; nothing here reads the
database."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from jiayi.content.render import Renderer
from jiayi.services.careplans import KIND_CARE_DIGEST, KIND_CARE_NUDGE, KIND_CARE_REMINDER
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.digest_parts import PART_MAX_RESIDENTS
from jiayi.storage.records import Delivery

# A digest part lists this many residents at most (each with a nudge button). The planner
# cuts digests into parts of that size (services.digest_parts); older payloads may be longer.
DIGEST_MAX_RESIDENTS = PART_MAX_RESIDENTS


def _name(item: dict[str, Any], locale: str) -> str:
    return str(item["name_zh"] if locale == "zh-CN" else item["name_en"])


def _items(items: list[dict[str, Any]], locale: str) -> list[dict[str, object]]:
    # Payloads queued before home readings have no "kind": those are care items.
    return [
        {
            "name": _name(i, locale),
            "person": i["person"],
            "own": bool(i["self"]),
            "due": date.fromisoformat(i["due"]),
            "readings": i.get("kind") == "readings",
            "bp": i.get("bp"),
            "fasting": i.get("fasting"),
            "urgent": i.get("urgent", 0),
        }
        for i in items
    ]


def reminder_text(renderer: Renderer, locale: str, p: dict[str, Any]) -> str:
    """A single item's reminder: pushed, or opened from a household card."""
    return renderer.render(
        "care_reminder",
        locale,
        item=_name(p, locale),
        person=p["person"],
        own=bool(p["self"]),
        due=date.fromisoformat(p["due"]),
        dose=p.get("dose"),
        overdue=bool(p.get("overdue")),
        check_record=bool(p.get("check_record")),
        note=p.get("note_zh" if locale == "zh-CN" else "note_en"),
    )


def register(dispatcher: OutboxDispatcher, renderer: Renderer) -> None:
    """Plugs the care-plan push kinds into the dispatcher."""

    def household(d: Delivery, p: dict[str, Any]) -> OutgoingMessage:
        # Items booked or done after the card was queued were withdrawn from it.
        items = [i for i in p["items"] if not i.get("withdrawn")]
        note = "note_zh" if d.locale == "zh-CN" else "note_en"
        text = renderer.render(
            "care_reminders",
            d.locale,
            items=[
                {
                    "item": _name(i, d.locale),
                    "person": i["person"],
                    "own": bool(i["self"]),
                    "due": date.fromisoformat(i["due"]),
                    "dose": i.get("dose"),
                    "overdue": bool(i.get("overdue")),
                    "note": i.get(note),
                }
                for i in items
            ],
            overdue=all(bool(i.get("overdue")) for i in items),
            check_record=any(bool(i.get("check_record")) for i in items),
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
                        "rule": i["rule"],
                        "due": i["due"],
                        "member_id": int(i.get("member_id") or 0),
                        "service_id": i.get("service_id"),
                        "name": _name(i, d.locale),
                        "person": None if i["self"] else i["person"],
                    }
                    for i in items
                ]
            },
        )

    def reminder(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        if "items" in p:  # a household card (several items due the same day)
            return household(d, p)
        text = reminder_text(renderer, d.locale, p)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            ref_id=p.get("service_id"),
            member_id=int(p.get("member_id") or 0) or None,
            data={"rule": p["rule"], "due": p["due"]},
        )

    def nudge(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        text = renderer.render(
            "care_nudge", d.locale, doctor=p["doctor"], items=_items(p["items"], d.locale)
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
        )

    def digest(d: Delivery) -> OutgoingMessage:
        p = json.loads(d.payload)
        locale = d.locale or renderer.default_locale
        shown = p["residents"][:DIGEST_MAX_RESIDENTS]
        text = renderer.render(
            "care_digest",
            locale,
            day=date.fromisoformat(p["day"]),
            residents=[{"name": r["name"], "entries": _items(r["items"], locale)} for r in shown],
            more=len(p["residents"]) - len(shown),
            part=int(p.get("part", 1)),
            parts=int(p.get("parts", 1)),
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=locale,
            kind=d.kind,
            text=text,
            # A nudge button only for residents with a care item: one listed for home
            # readings alone has nothing overdue to be reminded of.
            data={
                "residents": [
                    (r["id"], r["name"])
                    for r in shown
                    if any(i.get("kind") != "readings" for i in r["items"])
                ]
            },
        )

    dispatcher.register_renderer(KIND_CARE_REMINDER, reminder)
    dispatcher.register_renderer(KIND_CARE_NUDGE, nudge)
    dispatcher.register_renderer(KIND_CARE_DIGEST, digest)
