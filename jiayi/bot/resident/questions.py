"""Residents ask their family doctor a question (from the menu, or a tip's button)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.callbacks import AskDoctorCD, AskDraftCD, DraftStep, TipActionCD
from jiayi.bot.doctor.states import QuestionAsk
from jiayi.bot.fallback import DRAFT_FOR_KEY, DRAFT_KEY
from jiayi.bot.labels import error_text
from jiayi.bot.replies import edit, send
from jiayi.content.render import html_format
from jiayi.services import questions, residents
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import NotRegistered
from jiayi.services.pushes import Action

log = logging.getLogger(__name__)

PREVIEW_CHARS = 3000


async def _start(user_id: int, uow: UnitOfWork) -> tuple[str, bool]:
    """The prompt to show and whether it opens the question step, or why asking isn't
    possible yet. The caller sets the state once the prompt was sent."""
    profile = await residents.get_profile(uow, user_id)
    if profile.resident.onboarded_at is None:
        return error_text(NotRegistered()), False
    if profile.doctor is None:
        no_doctor = _(
            "You haven't chosen a family doctor yet: you can choose one under “My profile”."
        )
        return no_doctor, False
    prompt = html_format(
        _(
            "Type your question for {doctor}. They will answer here, usually within a working "
            "day.\nFor anything urgent, call 120 or go to a hospital."
        ),
        doctor=profile.doctor.display_name,
    )
    return prompt, True


async def cmd_ask(message: Message, state: FSMContext, uow: UnitOfWork) -> None:
    assert message.from_user is not None
    await state.clear()
    text, asking = await _start(message.from_user.id, uow)
    await message.answer(text, reply_markup=keyboards.cancel() if asking else None)
    if asking:
        await state.set_state(QuestionAsk.text)


async def cb_ask(callback: CallbackQuery, state: FSMContext, uow: UnitOfWork) -> None:
    await state.clear()
    text, asking = await _start(callback.from_user.id, uow)
    await send(callback, text, keyboards.cancel() if asking else None)
    if asking:
        await state.set_state(QuestionAsk.text)


async def on_question(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
) -> None:
    assert message.from_user is not None
    asked = await questions.ask_question(uow, clock, message.from_user.id, message.text)
    await state.clear()
    await message.answer(
        html_format(
            _("Your question has been sent to {doctor}. The answer will come here."),
            doctor=asked.doctor_name,
        ),
        reply_markup=keyboards.back_to_menu(),
    )
    # The doctor is told through the outbox (their quiet hours, retries): services/questions.


async def _draft(callback: CallbackQuery, state: FSMContext) -> str | None:
    """The typed words waiting under the pressed message (bot/fallback.py), if still there."""
    data = await state.get_data()
    text = data.get(DRAFT_KEY)
    pressed = callback.message.message_id if callback.message else None
    if not isinstance(text, str) or data.get(DRAFT_FOR_KEY) != pressed:
        return None
    return text


async def cb_draft_open(callback: CallbackQuery, state: FSMContext, uow: UnitOfWork) -> None:
    """The questions flow, pre-filled with what the resident typed: shown, then confirmed."""
    text = await _draft(callback, state)
    if text is None:
        await send(callback, _("That button is no longer active."), keyboards.back_to_menu())
        return
    profile = await residents.get_profile(uow, callback.from_user.id)
    if profile.resident.onboarded_at is None:
        await edit(callback, error_text(NotRegistered()), None)
        return
    if profile.doctor is None:
        no_doctor = _(
            "You haven't chosen a family doctor yet: you can choose one under “My profile”."
        )
        await edit(callback, no_doctor, keyboards.back_to_menu())
        return
    prompt = html_format(
        _(
            "Send this to {doctor}?\n\n<blockquote>{text}</blockquote>\n"
            "They will answer here, usually within a working day. "
            "For anything urgent, call 120."
        ),
        doctor=profile.doctor.display_name,
        # The whole text is sent; the preview stays inside Telegram's message limit.
        text=text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…",
    )
    await edit(callback, prompt, keyboards.draft_confirm())


async def cb_draft_send(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, clock: Clock
) -> None:
    text = await _draft(callback, state)
    if text is None:
        await send(callback, _("That button is no longer active."), keyboards.back_to_menu())
        return
    asked = await questions.ask_question(uow, clock, callback.from_user.id, text)
    await state.clear()
    await edit(
        callback,
        html_format(
            _("Your question has been sent to {doctor}. The answer will come here."),
            doctor=asked.doctor_name,
        ),
        keyboards.back_to_menu(),
    )


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please type your question as text, or send /cancel."))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_ask, Command("ask"))
    router.callback_query.register(cb_ask, AskDoctorCD.filter())
    router.callback_query.register(cb_ask, TipActionCD.filter(F.action == Action.ASK_DOCTOR))
    router.message.register(on_question, QuestionAsk.text, F.text, ~F.text.startswith("/"))
    router.message.register(on_not_text, QuestionAsk.text, ~F.text)
    router.callback_query.register(cb_draft_open, AskDraftCD.filter(F.step == DraftStep.OPEN))
    router.callback_query.register(cb_draft_send, AskDraftCD.filter(F.step == DraftStep.SEND))
    return router
