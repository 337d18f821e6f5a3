"""Rendering of the points-expiry reminder for the dispatcher. The payload is
self-contained (services.push.points), so nothing here reads the database."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.content.render import Renderer
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.push import PushKind
from jiayi.services.push.points import PointsExpiry
from jiayi.storage.records import Delivery


def register(dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo) -> None:
    """Plugs the points push kinds into the dispatcher."""

    def expiry(d: Delivery) -> OutgoingMessage:
        p = PointsExpiry.from_json(d.payload)
        # Points last until the end of a day; show that last day.
        last = p.expires_at.astimezone(zone) - timedelta(seconds=1)
        text = renderer.render("points_expiry", d.locale, points=p.points, date=last.date())
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            payload=p,
        )

    dispatcher.register_renderer(PushKind.POINTS_EXPIRY, expiry)
