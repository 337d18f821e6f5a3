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
from content.render import Renderer
from services import booking
from services.clock import Clock
from services.database import UnitOfWork
from services.settings import Settings

from bot import booking_keyboards as kb
from bot.callbacks import AttendanceCD
from bot.replies import edit
from bot.views import Screen


async def _day_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    day: date,
) -> Screen:
    items = await booking.doctor_day(
        uow, clock, user_id, day, settings.zone, admin_ids=settings.admin_ids
    )
    local = [a.starts_at.astimezone(settings.zone) for a in items]
    rows = [
        {
            "time": t.strftime("%H:%M"),
            "service": kb.service_name(a, locale),
            "person": a.person_name,
            "code": a.check_in_code,
            "status": a.status.value,
        }
        for a, t in zip(items, local, strict=True)
    ]
    text = renderer.render("doctor_day", locale, day=kb.day_label(day, locale), rows=rows)
    return text, kb.doctor_day(items, local)


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
        uow, clock, renderer, locale, settings, callback.from_user.id, day
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
        _("Checked in: {person}, {service}.").format(
            person=appt.person_name, service=kb.service_name(appt, locale)
        )
    )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_day, Command("today", "tomorrow"))
    router.message.register(cmd_check_in, Command("checkin"))
    router.callback_query.register(cb_attendance, AttendanceCD.filter())
    return router
