"""Catch-alls, registered last: every message or button press gets a short, useful answer."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, views
from jiayi.bot.doctor import home
from jiayi.bot.labels import error_text
from jiayi.bot.states import FamilyAdd, FamilyEdit, Onboarding, ProfileEdit
from jiayi.content.render import Renderer
from jiayi.services import readings
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import InvalidInput, NotRegistered
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings

# A glucose value as typed: a number with a decimal point, or with its unit.
_GLUCOSE = re.compile(r"^\s*\d{1,2}(?:[.．]\d{1,2}\s*(?:mmol(?:/l)?)?|\s*mmol(?:/l)?)\s*$", re.I)

# States that wait for typed text; every other state waits for a button.
TEXT_STATES = StateFilter(
    Onboarding.birth_year,
    ProfileEdit.name,
    ProfileEdit.birth_year,
    ProfileEdit.pregnancy_due,
    FamilyAdd.name,
    FamilyAdd.birth_date,
    FamilyEdit.name,
    FamilyEdit.birth_date,
)


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or send /cancel."))


async def on_unknown_command(
    message: Message,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    assert message.from_user is not None
    note = _("I don't know that command.")
    if await home.is_desk_user(uow, settings, message.from_user.id, resident):
        text, markup = home.desk_help(note)
        await message.answer(text, reply_markup=markup)
        return
    await _menu_or_start(message, renderer, locale, resident, note)


DRAFT_KEY = "draft"
DRAFT_FOR_KEY = "draft_for"


async def on_idle_message(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    """Typed text is never dismissed: the emergency number first, then an offer to send the
    words to the family doctor (bot/resident/questions.py confirms before sending)."""
    registered = resident is not None and resident.onboarded_at is not None
    assert message.from_user is not None
    if await home.is_desk_user(uow, settings, message.from_user.id, resident):
        # A doctor without a resident profile is not "not signed up": their desk and commands.
        text, markup = home.desk_help()
        await message.answer(text, reply_markup=markup)
        return
    text = renderer.render("free_text", locale)
    if not registered:
        text += "\n\n" + error_text(NotRegistered())
    markup = keyboards.free_text(
        registered=registered, draft=bool(message.text), reading=looks_like_reading(message.text)
    )
    sent = await message.answer(text, reply_markup=markup)
    if registered and message.text:
        # Kept with the answer's id: only the button under *this* answer sends *these* words.
        await state.set_data({DRAFT_KEY: message.text, DRAFT_FOR_KEY: sent.message_id})


def looks_like_reading(text: str | None) -> bool:
    """ "135/85" or "7.2" typed outside /reading (after a reminder to measure, say)."""
    try:
        readings.parse_blood_pressure(text)
    except InvalidInput as error:
        return error.code == "reading_implausible" or bool(_GLUCOSE.match(text or ""))
    return True


async def on_button_expected(message: Message, state: FSMContext) -> None:
    if await state.get_state() == Onboarding.language.state:
        await message.answer(_("Please choose a language with the buttons above."))
        return
    await message.answer(_("Please tap one of the buttons above, or send /cancel."))


async def on_stale_button(
    callback: CallbackQuery,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    """A button from an old message, a finished conversation, or crafted data."""
    assert callback.bot is not None
    note = _("That button is no longer active.")
    if await home.is_desk_user(uow, settings, callback.from_user.id, resident):
        text, markup = home.desk(note)
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        return
    if resident is None or resident.onboarded_at is None:
        await callback.bot.send_message(
            callback.from_user.id, note + " " + _("Send /start to begin.")
        )
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await callback.bot.send_message(
        callback.from_user.id, note + "\n\n" + text, reply_markup=markup
    )


async def _menu_or_start(
    message: Message,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
    note: str,
) -> None:
    if resident is None:
        await message.answer(note + " " + error_text(NotRegistered()))
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await message.answer(note + "\n\n" + text, reply_markup=markup)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(on_not_text, TEXT_STATES, ~F.text)
    router.message.register(on_unknown_command, StateFilter(None), F.text.startswith("/"))
    router.message.register(on_idle_message, StateFilter(None))
    router.message.register(on_button_expected)
    router.callback_query.register(on_stale_button)
    return router
