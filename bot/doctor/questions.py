"""Doctor side of questions: /questions (oldest first) and replying."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from content.render import Renderer
from services import questions
from services.clock import Clock
from services.database import UnitOfWork
from services.settings import Settings

from bot.callbacks import QuestionReplyCD
from bot.doctor import console_keyboards as kb
from bot.doctor.states import QuestionAnswer
from bot.replies import send

QUESTION = "answering"


async def cmd_questions(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    items = await questions.open_questions(uow, clock, settings, message.from_user.id)
    rows = [
        {
            "name": q.resident_name,
            "asked_at": q.asked_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M"),
            "body": q.body,
        }
        for q in items
    ]
    await message.answer(
        renderer.render("questions", locale, rows=rows), reply_markup=kb.questions(items)
    )


async def cb_reply(
    callback: CallbackQuery,
    callback_data: QuestionReplyCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    question = await questions.question_for_reply(
        uow, clock, settings, callback.from_user.id, callback_data.question_id
    )
    await state.set_state(QuestionAnswer.text)
    await state.update_data({QUESTION: question.id})
    await send(
        callback,
        _("Type your answer to {name}. Send /cancel to stop.").format(name=question.resident_name),
    )


async def on_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, settings: Settings
) -> None:
    assert message.from_user is not None
    question_id = (await state.get_data()).get(QUESTION)
    if not isinstance(question_id, int):
        await state.clear()
        return
    question = await questions.answer_question(
        uow, clock, settings, message.from_user.id, question_id, message.text
    )
    await state.clear()
    await message.answer(
        _("Your answer to {name} is on its way.").format(name=question.resident_name)
    )


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or send /cancel."))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_questions, Command("questions"))
    router.message.register(on_answer, QuestionAnswer.text, F.text, ~F.text.startswith("/"))
    router.message.register(on_not_text, QuestionAnswer.text, ~F.text)
    router.callback_query.register(cb_reply, QuestionReplyCD.filter())
    return router
