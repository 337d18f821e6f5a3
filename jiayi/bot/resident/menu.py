"""/menu, /help and /cancel: always available, whatever the conversation was doing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeGuard

from aiogram import F, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, views
from jiayi.bot.callbacks import CancelCD, MenuCD, MenuItem
from jiayi.bot.doctor import home
from jiayi.bot.doctor.states import (
    BroadcastCompose,
    PersonalMessage,
    QuestionAnswer,
    ResidentSearch,
)
from jiayi.bot.labels import error_text
from jiayi.bot.replies import edit
from jiayi.bot.states import RedeemVoucher
from jiayi.content import LOCALES
from jiayi.content.localized import localized
from jiayi.content.render import Renderer
from jiayi.content.safety import normalise
from jiayi.services import booking, console
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import NotRegistered
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings

# A doctor's steps: doctors have no reply keyboard, so there a label is what they typed.
DOCTOR_STEPS = StateFilter(
    BroadcastCompose, PersonalMessage, QuestionAnswer, ResidentSearch, RedeemVoucher
)


async def home_screen(
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord,
    user_id: int,
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    """Where a resident starts from: the greeting with the persistent reply keyboard once
    signed up. A doctor or admin who is also a resident keeps the inline menu: the resident
    keyboard would sit under their console work."""
    if resident.onboarded_at is not None and not await console.is_doctor_or_admin(
        uow, settings, user_id
    ):
        return views.home(renderer, locale, resident)
    return views.main_menu(renderer, locale, resident)


async def cmd_menu(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    assert message.from_user is not None
    if await home.is_desk_user(uow, settings, message.from_user.id, resident):
        desk_text, desk_markup = home.desk()
        await message.answer(desk_text, reply_markup=desk_markup)
        return
    if resident is None:
        raise NotRegistered()
    text, markup = await home_screen(
        uow, settings, renderer, locale, resident, message.from_user.id
    )
    await message.answer(text, reply_markup=markup)


async def cmd_more(
    message: Message,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    """ "More" on the reply keyboard: the full menu, as buttons under the message."""
    await state.clear()
    if resident is None:
        raise NotRegistered()
    text, markup = views.main_menu(renderer, locale, resident)
    await message.answer(text, reply_markup=markup)


async def cb_menu(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    if await home.is_desk_user(uow, settings, callback.from_user.id, resident):
        await edit(callback, *home.desk())
        return
    if resident is None:
        await edit(callback, error_text(NotRegistered()), None)
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await edit(callback, text, markup)


async def _help(uow: UnitOfWork, user_id: int, renderer: Renderer, locale: str) -> str:
    centre = await booking.centre_contact(uow, user_id)
    name = None
    if centre is not None and (centre.phone or centre.address):
        name = localized(centre, "name", locale)
    return renderer.render(
        "help",
        locale,
        centre=name,
        phone=centre.phone if centre else None,
        address=centre.address if centre else None,
    )


async def cmd_help(
    message: Message,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    assert message.from_user is not None
    if await home.is_desk_user(uow, settings, message.from_user.id, resident):
        text, markup = home.desk_help()
        await message.answer(text, reply_markup=markup)
        return
    text = await _help(uow, message.from_user.id, renderer, locale)
    await message.answer(text, reply_markup=keyboards.back_to_menu())


async def cb_help(
    callback: CallbackQuery,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    if await home.is_desk_user(uow, settings, callback.from_user.id, resident):
        await edit(callback, *home.desk_help())
        return
    text = await _help(uow, callback.from_user.id, renderer, locale)
    await edit(callback, text, keyboards.back_to_menu())


async def cmd_cancel(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    assert message.from_user is not None
    await state.clear()
    if await home.is_desk_user(uow, settings, message.from_user.id, resident):
        text, markup = home.desk(_("Cancelled."))
        await message.answer(text, reply_markup=markup)
        return
    await _cancelled(message, renderer, locale, resident)


async def cb_cancel(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    resident: ResidentRecord | None,
) -> None:
    """The Cancel button under a step of any flow: the step's message says so, briefly, with
    the way back (the reply keyboard stays for the rest)."""
    await state.clear()
    if await home.is_desk_user(uow, settings, callback.from_user.id, resident):
        await edit(callback, *home.desk(_("Cancelled.")))
        return
    if resident is None:
        await edit(callback, _("Cancelled."), None)
        return
    if resident.onboarded_at is None:
        await edit(callback, _("Cancelled. Send /start to sign up."), None)
        return
    await edit(callback, _("Cancelled."), keyboards.back_to_menu())


async def _cancelled(
    message: Message, renderer: Renderer, locale: str, resident: ResidentRecord | None
) -> None:
    if resident is None or resident.onboarded_at is None:
        await message.answer(_("Cancelled. Send /start to sign up."))
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await message.answer(_("Cancelled.") + "\n\n" + text, reply_markup=markup)


def _label_handlers() -> dict[str, Callable[..., Awaitable[None]]]:
    """The command each main-menu label stands for (imported late: those modules are
    routers of their own, registered after this one)."""
    from jiayi.bot.resident import (
        booking,
        family,
        plan,
        points,
        privacy,
        profile,
        questions,
        readings,
        tips,
    )

    return {
        "book": booking.cmd_book,
        "appointments": booking.cmd_appointments,
        "plan": plan.cmd_plan,
        "profile": profile.cmd_profile,
        "family": family.cmd_family,
        "tips": tips.cmd_tips,
        "points": points.cmd_points,
        "readings": readings.cmd_readings,
        "ask": questions.cmd_ask,
        "language": profile.cmd_language,
        "help": cmd_help,
        "privacy": privacy.cmd_privacy,
        "menu": cmd_menu,
        "more": cmd_more,
    }


# The button labels' msgids (bot/keyboards.py main_menu and home), looked up in every locale,
# so "我的预约" typed does what the button does; plus the short words people type for the same
# thing (input only, never shown).
_LABELS = {
    "Book an appointment": "book",
    "Book": "book",
    "My appointments": "appointments",
    "My care plan": "plan",
    "My profile": "profile",
    "My family": "family",
    "Health tips": "tips",
    "My points": "points",
    "Blood pressure & glucose": "readings",
    "Ask my doctor": "ask",
    "Language": "language",
    "Help": "help",
    "Privacy": "privacy",
    "Main menu": "menu",
    "More": "more",
}
# The reply keyboard's labels (keyboards.home_labels): pressed, they leave whatever step the
# resident was in, like the button would. No answer to a step is one of these words.
_HOME_LABELS = ("Book", "My appointments", "Ask my doctor", "More")
_TYPED_ALIASES = {
    "预约": "book",
    "挂号": "book",
    "book": "book",
    "预约服务": "book",
    "appointments": "appointments",
    "预约记录": "appointments",
    "问医生": "ask",
    "菜单": "menu",
    "menu": "menu",
    "帮助": "help",
}


def _is_label_like(text: str | None) -> TypeGuard[str]:
    """Short typed text, not a command: the only kind a label can be."""
    return text is not None and 0 < len(text) <= 40 and not text.startswith("/")


def _label_key(text: str | None, msgids: Iterable[str]) -> str | None:
    if not _is_label_like(text):
        return None
    typed = normalise(text)
    i18n = get_i18n()
    for msgid in msgids:
        if any(normalise(i18n.gettext(msgid, locale=loc)) == typed for loc in LOCALES):
            return _LABELS[msgid]
    return None


async def typed_label(message: Message) -> dict[str, Callable[..., Awaitable[None]]] | bool:
    """Matches typed text that is a menu label, in any language; gives the handler."""
    if not _is_label_like(message.text):
        return False
    key = _TYPED_ALIASES.get(normalise(message.text)) or _label_key(message.text, _LABELS)
    if key is None:
        return False
    return {"label_handler": _label_handlers()[key]}


async def home_label(message: Message) -> dict[str, Callable[..., Awaitable[None]]] | bool:
    """Matches a press on the reply keyboard (its exact label, in any language)."""
    key = _label_key(message.text, _HOME_LABELS)
    if key is None:
        return False
    return {"label_handler": _label_handlers()[key]}


async def on_typed_label(
    message: Message, label_handler: Callable[..., Awaitable[None]], **data: Any
) -> None:
    # The command's own handler, given what it asks for from this update's data.
    await CallableObject(label_handler).call(message, **data)


async def on_home_label(
    message: Message,
    state: FSMContext,
    label_handler: Callable[..., Awaitable[None]],
    **data: Any,
) -> None:
    await state.clear()
    await CallableObject(label_handler).call(message, state=state, **data)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    # The reply keyboard works in every step; other labels only outside a conversation:
    # inside one, "我的家人" may well be the answer to a question.
    router.message.register(on_home_label, ~DOCTOR_STEPS, F.text, home_label)
    router.message.register(on_typed_label, StateFilter(None), F.text, typed_label)
    router.message.register(cmd_menu, Command("menu"))
    router.callback_query.register(cb_menu, MenuCD.filter(F.item == MenuItem.MENU))
    router.message.register(cmd_help, Command("help"))
    router.callback_query.register(cb_help, MenuCD.filter(F.item == MenuItem.HELP))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(cb_cancel, CancelCD.filter())
    return router
