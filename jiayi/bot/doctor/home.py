"""The doctor's desk: a bound doctor's own short menu (今日 · 签到 · 问题 · 群发 · 居民) and help.

A doctor who is not also a signed-up resident gets it wherever a resident would get the main
menu or "you haven't signed up": /menu, /help, /cancel, free text, an unknown command, a stale
button (bot/resident/menu.py and bot/fallback.py ask `is_desk_user`).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot import commands, keyboards
from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import DoctorMenuCD, DoctorMenuItem
from jiayi.bot.doctor import appointments, broadcast, questions, residents
from jiayi.bot.doctor.states import BroadcastCompose, CheckInCode, ResidentSearch
from jiayi.bot.replies import send
from jiayi.bot.views import Screen
from jiayi.content.render import Renderer, html_escape
from jiayi.services import console
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings


async def is_desk_user(
    uow: UnitOfWork, settings: Settings, user_id: int, resident: ResidentRecord | None
) -> bool:
    """A doctor or admin without a signed-up resident profile: they get the desk, never
    "you haven't signed up". Residents cost no query."""
    if resident is not None and resident.onboarded_at is not None:
        return False
    return await console.is_doctor_or_admin(uow, settings, user_id)


def desk_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    labels = {
        DoctorMenuItem.TODAY: _("Today"),
        DoctorMenuItem.CHECKIN: _("Check in"),
        DoctorMenuItem.QUESTIONS: _("Questions"),
        DoctorMenuItem.BROADCAST: _("Broadcast"),
        DoctorMenuItem.RESIDENTS: _("Residents"),
    }
    for item, label in labels.items():
        kb.button(text=label, callback_data=DoctorMenuCD(item=item))
    return kb.adjust(3, 2).as_markup()


def desk(note: str | None = None) -> Screen:
    """The doctor's menu, after an optional first line (e.g. "Cancelled.")."""
    text = _("<b>Doctor's desk</b>\nWhat would you like to do?")
    return (f"{note}\n\n{text}" if note else text), desk_keyboard()


def desk_help(note: str | None = None) -> Screen:
    """The doctor's help: their commands only, their own work first, and the desk below."""
    lines = [f"/{c.command} — {html_escape(c.description)}" for c in commands.doctor_commands()]
    text = "\n".join(
        [
            _("You are signed in as a family doctor. Your commands:"),
            *lines,
            "",
            _("On /today, ✓ and ✗ can be undone for 5 minutes."),
        ]
    )
    return (f"{note}\n\n{text}" if note else text), desk_keyboard()


async def cb_desk(
    callback: CallbackQuery,
    callback_data: DoctorMenuCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    """Each button opens what its command opens (services check the role)."""
    user = callback.from_user.id
    await state.clear()
    item = callback_data.item
    if item is DoctorMenuItem.TODAY:
        today = clock.now().astimezone(settings.zone).date()
        text, markup = await appointments.day_screen(
            uow, clock, renderer, locale, settings, user, today
        )
        await send(callback, text, markup)
    elif item is DoctorMenuItem.CHECKIN:
        await console.actor(uow, settings, user)
        await send(callback, appointments.check_in_prompt(), keyboards.cancel())
        await state.set_state(CheckInCode.code)
    elif item is DoctorMenuItem.QUESTIONS:
        text, markup = await questions.questions_screen(
            uow, clock, renderer, locale, settings, user, 0
        )
        await send(callback, text, markup)
    elif item is DoctorMenuItem.BROADCAST:
        await console.actor(uow, settings, user)
        await send(callback, broadcast.compose_prompt(), keyboards.cancel())
        await state.set_state(BroadcastCompose.text)
    else:
        text, markup = await residents.list_screen(
            uow, clock, renderer, locale, settings, user, name=None, cond="", age="", page=0
        )
        await send(callback, text, markup)
        await state.set_state(ResidentSearch.query)
        await state.update_data({residents.SEARCH: None})


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.callback_query.register(cb_desk, DoctorMenuCD.filter())
    return router
