"""/menu, /help and /cancel: always available, whatever the conversation was doing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from content.render import Renderer
from services.errors import NotRegistered
from services.residents import ResidentRecord

from bot import keyboards, views
from bot.callbacks import CancelCD, MenuCD, MenuItem
from bot.labels import error_text
from bot.replies import edit


async def cmd_menu(
    message: Message,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    if resident is None:
        await message.answer(error_text(NotRegistered()))
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await message.answer(text, reply_markup=markup)


async def cb_menu(
    callback: CallbackQuery,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    if resident is None:
        await edit(callback, error_text(NotRegistered()), None)
        return
    text, markup = views.main_menu(renderer, locale, resident)
    await edit(callback, text, markup)


async def cmd_help(message: Message, renderer: Renderer, locale: str) -> None:
    await message.answer(renderer.render("help", locale), reply_markup=keyboards.back_to_menu())


async def cb_help(callback: CallbackQuery, renderer: Renderer, locale: str) -> None:
    await edit(callback, renderer.render("help", locale), keyboards.back_to_menu())


async def cmd_cancel(
    message: Message,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    await _cancelled(message, renderer, locale, resident)


async def cb_cancel(
    callback: CallbackQuery,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
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


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_menu, Command("menu"))
    router.callback_query.register(cb_menu, MenuCD.filter(F.item == MenuItem.MENU))
    router.message.register(cmd_help, Command("help"))
    router.callback_query.register(cb_help, MenuCD.filter(F.item == MenuItem.HELP))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(cb_cancel, CancelCD.filter())
    return router
