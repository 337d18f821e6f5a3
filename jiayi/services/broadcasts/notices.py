"""Rendering a broadcast for the dispatcher."""

from __future__ import annotations

from jiayi.content.render import Renderer
from jiayi.services.broadcasts.segments import BROADCAST_KIND
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.push.messages import Broadcast as BroadcastPayload
from jiayi.storage.records import (
    Delivery,
)


def render_broadcast(renderer: Renderer, locale: str, doctor: str, text: str) -> str:
    """Exactly what a resident receives: the doctors' preview uses this too."""
    return renderer.render("broadcast", locale, doctor=doctor, text=text)


def register(dispatcher: OutboxDispatcher, renderer: Renderer) -> None:
    """Plugs broadcasts into the dispatcher."""

    def broadcast(d: Delivery) -> OutgoingMessage:
        p = BroadcastPayload.from_json(d.payload)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=render_broadcast(renderer, d.locale, p.doctor, p.text),
            ref_id=p.broadcast_id,
            photo=p.photo,
            payload=p,
        )

    dispatcher.register_renderer(BROADCAST_KIND, broadcast)
