"""Red flags first: typed text naming an emergency gets the emergency message alone.

Registered right after the error router, for every state: a resident typing "胸口疼" in the
middle of booking or while writing to the doctor is told to call 120 before anything else.
The conversation state is kept, so nothing they were doing is lost. Doctors' own writing
(broadcasts, answers, messages, searches) is not screened: it talks *about* symptoms.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import Message
from content.render import Renderer
from content.safety import FlagKind, red_flags

from bot.doctor.states import BroadcastCompose, PersonalMessage, QuestionAnswer, ResidentSearch

log = logging.getLogger(__name__)

_DOCTOR_WRITING = frozenset(
    s.state
    for group in (BroadcastCompose, PersonalMessage, QuestionAnswer, ResidentSearch)
    for s in group.__all_states__
)


async def red_flag(message: Message, raw_state: str | None = None) -> dict[str, FlagKind] | bool:
    if raw_state in _DOCTOR_WRITING or not message.text or message.text.startswith("/"):
        return False
    kind = red_flags().match(message.text)
    return {"flag": kind} if kind is not None else False


def emergency_text(renderer: Renderer, locale: str, flag: FlagKind) -> str:
    flags = red_flags()
    return renderer.render(
        "emergency",
        locale,
        self_harm=flag is FlagKind.SELF_HARM,
        hotline=flags.hotline,
    )


async def on_red_flag(message: Message, flag: FlagKind, renderer: Renderer, locale: str) -> None:
    # That it matched, never what was typed or by whom (the text is health data).
    log.info("safety: a red flag matched")
    await message.answer(emergency_text(renderer, locale, flag))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(on_red_flag, F.text, red_flag)
    return router
