"""Red flags first: typed text naming an emergency gets the emergency message alone.

Registered right after the error router, for every state: a resident typing "胸口疼" in the
middle of booking or while writing to the doctor is told to call 120 before anything else.
The conversation state is kept, so nothing they were doing is lost; words typed as a question
for the doctor are kept too, and offered for sending after the emergency message. Doctors' own
writing
(broadcasts, answers, messages, searches) is not screened: it talks *about* symptoms.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.doctor.states import (
    BroadcastCompose,
    PersonalMessage,
    QuestionAnswer,
    QuestionAsk,
    ResidentSearch,
)
from jiayi.bot.fallback import DRAFT_FOR_KEY, DRAFT_KEY
from jiayi.content.render import Renderer, html_format
from jiayi.content.safety import FlagKind, red_flags

# The question's preview stays inside Telegram's message limit; the whole text is sent.
PREVIEW_CHARS = 3000

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


async def on_red_flag(
    message: Message,
    flag: FlagKind,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    raw_state: str | None = None,
) -> None:
    # That it matched, never what was typed or by whom (the text is health data).
    log.info("safety: a red flag matched")
    await message.answer(emergency_text(renderer, locale, flag))
    if raw_state != QuestionAsk.text.state or not message.text:
        return
    # A question for the doctor is not lost: after the emergency message, it is offered for
    # sending (bot/resident/questions.py sends it from the draft kept with this offer).
    text = message.text
    offer = await message.answer(
        html_format(
            _(
                "Your question is kept. Send it to your family doctor too?\n\n"
                "<blockquote>{text}</blockquote>\n"
                "The doctor answers later: in an emergency, call 120 first."
            ),
            text=text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…",
        ),
        reply_markup=keyboards.draft_confirm(),
    )
    await state.update_data({DRAFT_KEY: text, DRAFT_FOR_KEY: offer.message_id})


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(on_red_flag, F.text, red_flag)
    return router
