"""The children's vaccination record: per vaccine, "done", "not done" or "don't know — check
the certificate". Asked when a child is added, and from /family while a child's record has
unanswered vaccines; until a vaccine is answered its overdue doses are not reminded."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import Num
from jiayi.bot.replies import edit, send
from jiayi.content.render import Renderer
from jiayi.services import vaccine_record
from jiayi.services.careplans import VaccineAnswer
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings
from jiayi.services.vaccine_record import ChildRecord

LATER = "later"


class RecordChoice(StrEnum):
    DONE = VaccineAnswer.DONE.value
    NOT_DONE = VaccineAnswer.NOT_DONE.value
    UNKNOWN = VaccineAnswer.UNKNOWN.value
    LATER = LATER


class VaccineRecordCD(CallbackData, prefix="vrec"):
    member_id: Num
    rule: str
    choice: RecordChoice


def _keyboard(member_id: int, rule: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for choice, text in (
        (RecordChoice.DONE, _("Yes, all given")),
        (RecordChoice.NOT_DONE, _("Not vaccinated")),
        (RecordChoice.UNKNOWN, _("Don't know — I'll check the certificate")),
        (RecordChoice.LATER, _("Ask me later")),
    ):
        kb.button(
            text=text, callback_data=VaccineRecordCD(member_id=member_id, rule=rule, choice=choice)
        )
    return kb.adjust(2, 1, 1).as_markup()


def _screen(
    renderer: Renderer, locale: str, record: ChildRecord
) -> tuple[str, InlineKeyboardMarkup | None]:
    question = record.next_question
    if question is None:
        return renderer.render("vaccine_record_done", locale, name=record.name), None
    number = record.questions.index(question) + 1
    text = renderer.render(
        "vaccine_record",
        locale,
        name=record.name,
        vaccine=question.name(locale),
        doses=question.doses_by_now,
        number=number,
        total=len(record.questions),
    )
    return text, _keyboard(record.member_id, question.rule_id)


async def offer(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    member_id: int,
) -> None:
    """Hook for a child just added: asks the first vaccine of their record, if any."""
    record = await vaccine_record.child_record(
        uow, clock, callback.from_user.id, member_id, settings.zone
    )
    if record.next_question is not None:
        await send(callback, *_screen(renderer, locale, record))


async def prompt_pending(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    """Hook for /family: asks the record of the first child who still has unanswered vaccines
    (children added before the record existed)."""
    assert message.from_user is not None
    waiting = await vaccine_record.children_awaiting(
        uow, clock, message.from_user.id, settings.zone
    )
    if waiting:
        text, markup = _screen(renderer, locale, waiting[0])
        await message.answer(text, reply_markup=markup)


async def cb_record_answer(
    callback: CallbackQuery,
    callback_data: VaccineRecordCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if callback_data.choice is RecordChoice.LATER:
        await edit(
            callback,
            _("All right. Open /family when you have the vaccination certificate at hand."),
            None,
        )
        return
    record = await vaccine_record.answer(
        uow,
        clock,
        callback.from_user.id,
        callback_data.member_id,
        callback_data.rule,
        VaccineAnswer(callback_data.choice.value),
        settings.zone,
    )
    await edit(callback, *_screen(renderer, locale, record))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.callback_query.register(cb_record_answer, VaccineRecordCD.filter())
    return router
