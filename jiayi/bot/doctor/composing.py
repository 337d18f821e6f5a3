"""While a doctor types a text meant for residents (a personal message, an answer, a
broadcast), a command is not that text: it must not be sent to anyone, nor start something
else half-way through. The doctor is told how to stop; /cancel itself keeps working.

Registered before every other router, so no command handler takes the update first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.doctor.states import BroadcastCompose, PersonalMessage, QuestionAnswer

_COMPOSING = (
    PersonalMessage.text,
    QuestionAnswer.text,
    BroadcastCompose.text,
    BroadcastCompose.second_text,
    BroadcastCompose.schedule_time,
)
COMPOSING = StateFilter(*_COMPOSING)
# Kept by bot.middlewares.CommandLeavesStep: a command here is answered by this router.
COMPOSING_STATES = frozenset(s.state for s in _COMPOSING if s.state is not None)


async def on_command_while_composing(message: Message) -> None:
    await message.answer(
        _("You are still writing a message; nothing was sent. Send /cancel to stop writing.")
    )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(
        on_command_while_composing, COMPOSING, F.text.startswith("/"), ~Command("cancel")
    )
    return router
