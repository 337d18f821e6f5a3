"""Doctor side of questions: /questions (oldest first) and replying."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.callbacks import QuestionReplyCD, QuestionsPageCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.prompts import ask_for_text, asked_about
from jiayi.bot.doctor.states import QuestionAnswer
from jiayi.bot.paging import ROW_OVERHEAD, clamp, split_pages
from jiayi.bot.replies import edit
from jiayi.bot.views import Screen
from jiayi.content.render import Renderer, html_format
from jiayi.services import questions
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings

QUESTION = "answering"


# Questions per page of /questions; the size budget usually decides first (a question may
# be 1,000 characters), this keeps the reply buttons few.
QUESTIONS_PAGE_SIZE = 10


async def questions_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    page: int,
) -> Screen:
    items = await questions.open_questions(uow, clock, settings, user_id)
    rows = [
        {
            "n": n,
            "name": q.resident_name,
            "asked_at": q.asked_at.astimezone(settings.zone),
            "body": q.body,
        }
        for n, q in enumerate(items, start=1)
    ]
    pages = split_pages(
        [len(q.resident_name) + len(q.body) + ROW_OVERHEAD for q in items],
        per_page=QUESTIONS_PAGE_SIZE,
    )
    page = clamp(page, pages)
    shown = pages[page]
    text = renderer.render(
        "questions", locale, rows=[rows[i] for i in shown], page=page + 1, pages=len(pages)
    )
    markup = kb.questions(
        [items[i] for i in shown], first=shown.start + 1, page=page, pages=len(pages)
    )
    return text, markup


async def cmd_questions(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    text, markup = await questions_screen(
        uow, clock, renderer, locale, settings, message.from_user.id, 0
    )
    await message.answer(text, reply_markup=markup)


async def cb_questions_page(
    callback: CallbackQuery,
    callback_data: QuestionsPageCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    text, markup = await questions_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, callback_data.page
    )
    await edit(callback, text, markup)


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
    await ask_for_text(
        callback,
        state,
        html_format(_("Type your answer to {name}."), name=question.resident_name),
        QuestionAnswer.text,
        QUESTION,
        question.id,
    )


async def on_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, settings: Settings
) -> None:
    assert message.from_user is not None
    if (question_id := await asked_about(state, QUESTION)) is None:
        return
    question = await questions.answer_question(
        uow, clock, settings, message.from_user.id, question_id, message.text
    )
    await state.clear()
    await message.answer(
        html_format(_("Your answer to {name} is on its way."), name=question.resident_name)
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
    router.callback_query.register(cb_questions_page, QuestionsPageCD.filter())
    return router
