"""Doctor side of booking: today's and tomorrow's list, attendance, check-in by code.

Every call goes through services.booking, which checks the doctor role and the centre:
a resident who types /today gets a polite refusal from the error handler.
"""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from content.render import Renderer, html_format
from services import booking
from services.clock import Clock
from services.database import UnitOfWork
from services.settings import Settings

from bot import booking_keyboards as kb
from bot.callbacks import AttendanceCD, DayPageCD
from bot.paging import ROW_OVERHEAD, clamp, split_pages
from bot.replies import edit
from bot.views import Screen

# Appointments per page of the day list: two buttons each, far below Telegram's 100.
DAY_PAGE_SIZE = 20


async def _day_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    day: date,
    page: int = 0,
) -> Screen:
    items = await booking.doctor_day(
        uow, clock, user_id, day, settings.zone, admin_ids=settings.admin_ids
    )
    local = [a.starts_at.astimezone(settings.zone) for a in items]
    rows: list[dict[str, object]] = [
        {
            "time": t,
            "service": kb.service_name(a, locale),
            "person": a.person_name,
            "code": a.check_in_code,
            "status": a.status.value,
        }
        for a, t in zip(items, local, strict=True)
    ]
    pages = split_pages(
        [len(a.person_name) + len(kb.service_name(a, locale)) + ROW_OVERHEAD for a in items],
        per_page=DAY_PAGE_SIZE,
    )
    page = clamp(page, pages)
    shown = pages[page]
    text = renderer.render(
        "doctor_day",
        locale,
        day=day,
        rows=[rows[i] for i in shown],
        page=page + 1,
        pages=len(pages),
    )
    markup = kb.doctor_day(
        [items[i] for i in shown],
        [local[i] for i in shown],
        locale=locale,
        day=day,
        page=page,
        pages=len(pages),
    )
    return text, markup


async def cmd_day(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    today = clock.now().astimezone(settings.zone).date()
    day = today + timedelta(days=1) if command.command == "tomorrow" else today
    text, markup = await _day_screen(
        uow, clock, renderer, locale, settings, message.from_user.id, day
    )
    await message.answer(text, reply_markup=markup)


async def cb_attendance(
    callback: CallbackQuery,
    callback_data: AttendanceCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    appt = await booking.mark_attendance(
        uow,
        clock,
        callback.from_user.id,
        callback_data.appointment_id,
        callback_data.attended,
        admin_ids=settings.admin_ids,
    )
    day = appt.starts_at.astimezone(settings.zone).date()
    text, markup = await _day_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, day, callback_data.page
    )
    await edit(callback, text, markup)


async def cb_day_page(
    callback: CallbackQuery,
    callback_data: DayPageCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    day = kb.from_int(callback_data.day)
    text, markup = await _day_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, day, callback_data.page
    )
    await edit(callback, text, markup)


async def cmd_check_in(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    code = (command.args or "").strip()
    if not code:
        await message.answer(_("Send the resident's code like this: /checkin K7MX3P"))
        return
    appt = await booking.check_in(
        uow, clock, message.from_user.id, code, admin_ids=settings.admin_ids
    )
    await message.answer(
        html_format(
            _("Checked in: {person}, {service}."),
            person=appt.person_name,
            service=kb.service_name(appt, locale),
        )
    )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_day, Command("today", "tomorrow"))
    router.message.register(cmd_check_in, Command("checkin"))
    router.callback_query.register(cb_attendance, AttendanceCD.filter())
    router.callback_query.register(cb_day_page, DayPageCD.filter())
    return router
