"""/residents (search and filters), the resident card, and personal messages."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards
from jiayi.bot.callbacks import ResidentCardCD, ResidentMessageCD, ResidentsCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.prompts import ask_for_text, asked_about
from jiayi.bot.doctor.states import PersonalMessage, ResidentSearch
from jiayi.bot.labels import (
    condition_label,
    conditions_text,
    language_label,
    relation_label,
    sex_label,
)
from jiayi.bot.replies import edit, send
from jiayi.content.render import Renderer, html_format
from jiayi.services import console
from jiayi.services.careplans import ItemState
from jiayi.services.clock import Clock
from jiayi.services.console import AgeBand, ResidentQuery
from jiayi.services.database import UnitOfWork
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings

SEARCH = "resident_search"
TARGET = "message_to"


async def list_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    *,
    name: str | None,
    cond: str,
    age: str,
    page: int,
) -> tuple[str, InlineKeyboardMarkup]:
    known_conditions = {c.value for c in Condition}
    query = ResidentQuery(
        name=name,
        condition=cond if cond in known_conditions else None,
        age_band=AgeBand(age) if age in {b.value for b in AgeBand} else None,
    )
    result = await console.list_residents(uow, clock, settings, user_id, query, page)
    today = clock.now().astimezone(settings.zone).date()
    filters = [f"“{name}”"] if name else []
    if query.condition:
        filters.append(condition_label(Condition(query.condition)))
    if query.age_band:
        filters.append(kb.age_band_label(query.age_band))
    rows = [
        {
            "name": r.display_name,
            "age": today.year - r.birth_year if r.birth_year else None,
            "conditions": conditions_text(r.conditions) if r.conditions else "",
        }
        for r in result.residents
    ]
    text = renderer.render(
        "resident_list",
        locale,
        total=result.total,
        filters=_(", ").join(filters),
        rows=rows,
        page=result.page + 1,
        pages=result.pages,
    )
    return text, kb.residents(result, query.condition or "", age if query.age_band else "")


async def cmd_residents(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    name = (command.args or "").strip() or None
    text, markup = await list_screen(
        uow, clock, renderer, locale, settings, message.from_user.id,
        name=name, cond="", age="", page=0,
    )  # fmt: skip
    await state.clear()
    await message.answer(text, reply_markup=markup)
    await state.set_state(ResidentSearch.query)
    await state.update_data({SEARCH: name})


async def on_search(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    name = (message.text or "").strip()[:50] or None
    text, markup = await list_screen(
        uow, clock, renderer, locale, settings, message.from_user.id,
        name=name, cond="", age="", page=0,
    )  # fmt: skip
    await state.update_data({SEARCH: name})
    await message.answer(text, reply_markup=markup)


async def cb_residents(
    callback: CallbackQuery,
    callback_data: ResidentsCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    name = (await state.get_data()).get(SEARCH)
    text, markup = await list_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id,
        name=name if isinstance(name, str) else None,
        cond=callback_data.cond, age=callback_data.age, page=callback_data.page,
    )  # fmt: skip
    if await state.get_state() is None:
        await state.set_state(ResidentSearch.query)
    await edit(callback, text, markup)


async def cb_card(
    callback: CallbackQuery,
    callback_data: ResidentCardCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    card = await console.resident_card(
        uow, clock, settings, callback.from_user.id, callback_data.resident_id
    )
    r = card.resident
    text = renderer.render(
        "resident_card",
        locale,
        name=r.display_name,
        age=card.age,
        sex=sex_label(r.sex),
        conditions=conditions_text(r.conditions),
        language=language_label(r.locale),
        reachable=r.reachable,
        family=[
            {"name": m.display_name, "relation": relation_label(m.relation), "born": m.birth_date}
            for m in card.family
        ],
        appointments=[
            {
                "when": a.starts_at.astimezone(settings.zone),
                "service": booking_keyboards.service_name(a, locale),
                "person": a.person_name,
            }
            for a in card.appointments
        ],
        open_questions=card.open_questions,
        care=[
            {
                "name": e.name(locale),
                "person": e.person_name,
                "due": e.due,
                "overdue": e.state is ItemState.OVERDUE,
                "booked": e.booked,
            }
            for e in card.care
        ],
        points=card.points_balance,
    )
    members = [(m.id, m.display_name) for m in card.family]
    await send(callback, text, kb.resident_card(r.id, members, can_record=card.can_record))


async def cb_message(
    callback: CallbackQuery,
    callback_data: ResidentMessageCD,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
) -> None:
    resident = await console.message_target(
        uow, settings, callback.from_user.id, callback_data.resident_id
    )
    await ask_for_text(
        callback,
        state,
        html_format(_("Type your message to {name}."), name=resident.display_name),
        PersonalMessage.text,
        TARGET,
        resident.id,
    )


async def on_message_text(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, settings: Settings
) -> None:
    assert message.from_user is not None
    if (target := await asked_about(state, TARGET)) is None:
        return
    await console.send_personal_message(
        uow, clock, settings, message.from_user.id, target, message.text
    )
    await state.clear()
    await message.answer(_("Sent. It will be delivered in a moment."))


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please type your message as text, or send /cancel."))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_residents, Command("residents"))
    router.message.register(on_search, ResidentSearch.query, F.text, ~F.text.startswith("/"))
    router.message.register(on_message_text, PersonalMessage.text, F.text, ~F.text.startswith("/"))
    router.message.register(on_not_text, PersonalMessage.text)
    router.callback_query.register(cb_residents, ResidentsCD.filter())
    router.callback_query.register(cb_card, ResidentCardCD.filter())
    router.callback_query.register(cb_message, ResidentMessageCD.filter())
    return router
