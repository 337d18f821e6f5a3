"""/menu, /help and /cancel: always available, whatever the conversation was doing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from content import LOCALES
from content.render import Renderer
from content.safety import normalise
from services import booking
from services.database import UnitOfWork
from services.errors import NotRegistered
from services.residents import ResidentRecord
from services.settings import Settings

from bot import keyboards, views
from bot.callbacks import CancelCD, MenuCD, MenuItem
from bot.doctor import home
from bot.labels import error_text
from bot.replies import edit


async def cmd_menu(
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
        text, markup = home.desk()
        await message.answer(text, reply_markup=markup)
        return
    if resident is None:
        await message.answer(error_text(NotRegistered()))
        return
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
        name = centre.name if locale == "zh-CN" else centre.name_en
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
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    if await home.is_desk_user(uow, settings, callback.from_user.id, resident):
        await edit(callback, *home.desk(_("Cancelled.")))
        return
    if resident is None or resident.onboarded_at is None:
        await edit(callback, _("Cancelled."), None)
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await edit(callback, _("Cancelled.") + "\n\n" + text, markup)


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
    from bot.resident import (
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
    }


# The button labels' msgids (bot/keyboards.py main_menu), looked up in every locale, so
# "我的预约" typed does what the button does; plus the short words people type for the same
# thing (input only, never shown).
_LABELS = {
    "book": "Book an appointment",
    "appointments": "My appointments",
    "plan": "My care plan",
    "profile": "My profile",
    "family": "My family",
    "tips": "Health tips",
    "points": "My points",
    "readings": "Blood pressure & glucose",
    "ask": "Ask my doctor",
    "language": "Language",
    "help": "Help",
    "privacy": "Privacy",
    "menu": "Main menu",
}
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


async def typed_label(message: Message) -> dict[str, Callable[..., Awaitable[None]]] | bool:
    """Matches typed text that is a menu label, in any language; gives the handler."""
    if not message.text or len(message.text) > 40 or message.text.startswith("/"):
        return False
    typed = normalise(message.text)
    key = _TYPED_ALIASES.get(typed)
    if key is None:
        i18n = get_i18n()
        for name, label in _LABELS.items():
            if any(normalise(i18n.gettext(label, locale=loc)) == typed for loc in LOCALES):
                key = name
                break
    if key is None:
        return False
    return {"label_handler": _label_handlers()[key]}


async def on_typed_label(
    message: Message, label_handler: Callable[..., Awaitable[None]], **data: Any
) -> None:
    # The command's own handler, given what it asks for from this update's data.
    await CallableObject(label_handler).call(message, **data)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    # Only outside a conversation: inside one, "我的家人" may well be the answer to a question.
    router.message.register(on_typed_label, StateFilter(None), F.text, typed_label)
    router.message.register(cmd_menu, Command("menu"))
    router.callback_query.register(cb_menu, MenuCD.filter(F.item == MenuItem.MENU))
    router.message.register(cmd_help, Command("help"))
    router.callback_query.register(cb_help, MenuCD.filter(F.item == MenuItem.HELP))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(cb_cancel, CancelCD.filter())
    return router
