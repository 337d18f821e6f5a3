"""Rendering urgent-reading alerts to doctors and reminders to measure, for the dispatcher."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from jiayi.content.render import Renderer
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage, staff_locale
from jiayi.services.push.readings import (
    ReadingAlert,
    ReadingReminder,
)
from jiayi.services.readings.values import KIND_READING_ALERT, KIND_READING_REMINDER
from jiayi.storage.records import Delivery


def register(dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo) -> None:
    """Plugs urgent-reading alerts to doctors into the dispatcher."""

    def alert(d: Delivery) -> OutgoingMessage:
        p = ReadingAlert.from_json(d.payload)
        locale = staff_locale(d, renderer.default_locale)
        measured = p.measured_at.astimezone(zone)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=locale,
            kind=d.kind,
            text=renderer.render(
                "reading_alert",
                locale,
                name=p.name,
                resident_name=p.resident_name,
                kind=p.kind,
                value=p.value,
                context=p.context,
                measured_at=measured,
            ),
            ref_id=p.resident_id,
            payload=p,
        )

    dispatcher.register_renderer(KIND_READING_ALERT, alert, urgent=True)

    def reminder(d: Delivery) -> OutgoingMessage:
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=renderer.render("reading_reminder", d.locale, name=d.display_name),
            payload=ReadingReminder.from_json(d.payload),
        )

    # The resident chose the hour (7:00 falls in the default quiet hours, 21:00-08:00): a
    # reminder to measure before breakfast is no use at 08:00. Pauses still hold it.
    dispatcher.register_renderer(KIND_READING_REMINDER, reminder, despite_quiet=True)
