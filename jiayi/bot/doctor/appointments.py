"""Doctor side of booking: today's and tomorrow's list, attendance, check-in by code.

Every call goes through services.booking, which checks the doctor role and the centre:
a resident who types /today gets a polite refusal from the error handler.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as kb
from jiayi.bot import keyboards
from jiayi.bot.callbacks import AttendanceCD, AttendanceFixCD, AttendanceUndoCD, DayPageCD
from jiayi.bot.doctor.states import CheckInCode
from jiayi.bot.paging import ROW_OVERHEAD, clamp, split_pages
from jiayi.bot.replies import edit, send
from jiayi.bot.views import Screen
from jiayi.content.dates import time_words
from jiayi.content.render import Renderer, html_format
from jiayi.services import attendance, booking, console
from jiayi.services.booking import AppointmentStatus
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import ErrorCode, NotAllowed
from jiayi.services.settings import Settings

# Appointments per page of the day list: two buttons each, far below Telegram's 100.
DAY_PAGE_SIZE = 20


async def day_screen(
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
    text, markup = await day_screen(
        uow, clock, renderer, locale, settings, message.from_user.id, day
    )
    await message.answer(text, reply_markup=markup)


def _points_lines(points: int) -> list[str]:
    """What a mark or an undo did to the resident's points, if anything."""
    if points > 0:
        return [_("+{points} health points for the resident.").format(points=points)]
    if points < 0:
        return [_("{points} points taken back.").format(points=-points)]
    return []


def _marked_text(result: attendance.Marked, locale: str) -> str:
    appt = result.appointment
    if appt.status is AppointmentStatus.ATTENDED:
        head = _("Marked attended: {person}, {service}.")
    else:
        head = _("Marked no-show: {person}, {service}.")
    lines = [html_format(head, person=appt.person_name, service=kb.service_name(appt, locale))]
    lines += _points_lines(result.points)
    lines.append(
        _("You can undo this for {minutes} minutes.").format(minutes=attendance.UNDO_MINUTES)
    )
    return "\n".join(lines)


def _question_text(
    question: attendance.NeedsConfirmation, attended: bool, settings: Settings, locale: str
) -> str:
    appt = question.appointment
    at = (
        time_words(question.recorded_at.astimezone(settings.zone), locale)
        if question.recorded_at
        else None
    )
    if appt.status is AppointmentStatus.ATTENDED:
        head = _("{person} was checked in at {time}.") if at else _("{person} is checked in.")
    else:
        head = (
            _("{person} was marked a no-show at {time}.")
            if at
            else _("{person} is marked a no-show.")
        )
    lines = [html_format(head, person=appt.person_name, time=at or "")]
    lines.append(_("Mark as attended instead?") if attended else _("Mark as no-show instead?"))
    if question.points:
        lines.append(
            (
                _("This gives {points} points.")
                if attended
                else _("This takes back {points} points.")
            ).format(points=question.points)
        )
    return "\n".join(lines)


async def _show_marked(
    callback: CallbackQuery, result: attendance.Marked, locale: str, list_message: int, page: int
) -> None:
    markup = (
        kb.attendance_undo(
            result.appointment.id,
            result.appointment.status,
            result.previous,
            list_message,
            page,
        )
        if result.changed
        else None
    )
    await send(callback, _marked_text(result, locale), markup)


async def _refresh_list(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    appointment: booking.AppointmentRecord,
    list_message: int,
    page: int,
) -> None:
    """The /today message the tap came from, shown as it is now (a changed mark or an undo
    must not leave the list saying the old state). Gone or unchanged: nothing to do."""
    if not list_message or callback.bot is None:
        return
    day = appointment.starts_at.astimezone(settings.zone).date()
    text, markup = await day_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, day, page
    )
    with contextlib.suppress(TelegramBadRequest):
        await callback.bot.edit_message_text(
            text=text,
            chat_id=callback.from_user.id,
            message_id=list_message,
            reply_markup=markup,
        )


async def cb_attendance(
    callback: CallbackQuery,
    callback_data: AttendanceCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    """A tap on the day list. The list is shown again as it is now (a stale list refreshes);
    a tap that would overwrite a recorded outcome asks first, and a recorded mark offers 撤销."""
    result = await attendance.tap(
        uow,
        clock,
        callback.from_user.id,
        callback_data.appointment_id,
        callback_data.attended,
        admin_ids=settings.admin_ids,
    )
    appt = result.appointment
    day = appt.starts_at.astimezone(settings.zone).date()
    text, markup = await day_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, day, callback_data.page
    )
    await edit(callback, text, markup)
    list_message = callback.message.message_id if callback.message else 0
    if isinstance(result, attendance.NeedsConfirmation):
        await send(
            callback,
            _question_text(result, callback_data.attended, settings, locale),
            kb.attendance_fix(appt.id, callback_data.attended, list_message, callback_data.page),
        )
    elif result.changed:
        await _show_marked(callback, result, locale, list_message, callback_data.page)


async def cb_attendance_fix(
    callback: CallbackQuery,
    callback_data: AttendanceFixCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if not callback_data.apply:
        await edit(callback, _("Kept as it was. Nothing changed."), None)
        return
    result = await attendance.override(
        uow,
        clock,
        callback.from_user.id,
        callback_data.appointment_id,
        callback_data.attended,
        admin_ids=settings.admin_ids,
    )
    if isinstance(result, attendance.NeedsConfirmation):  # pragma: no cover - override applies
        return
    markup = (
        kb.attendance_undo(
            result.appointment.id,
            result.appointment.status,
            result.previous,
            callback_data.list_message,
            callback_data.page,
        )
        if result.changed
        else None
    )
    await edit(callback, _marked_text(result, locale), markup)
    await _refresh_list(
        callback,
        uow,
        clock,
        renderer,
        locale,
        settings,
        result.appointment,
        callback_data.list_message,
        callback_data.page,
    )


async def cb_attendance_undo(
    callback: CallbackQuery,
    callback_data: AttendanceUndoCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    result = await attendance.undo(
        uow,
        clock,
        callback.from_user.id,
        callback_data.appointment_id,
        marked=AppointmentStatus(callback_data.marked.value),
        previous=AppointmentStatus(callback_data.previous.value),
        admin_ids=settings.admin_ids,
    )
    appt = result.appointment
    status = {
        AppointmentStatus.BOOKED: _("Undone: {person} is booked again, not yet marked."),
        AppointmentStatus.ATTENDED: _("Undone: {person} is marked attended again."),
        AppointmentStatus.NO_SHOW: _("Undone: {person} is marked a no-show again."),
    }
    lines = [html_format(status.get(appt.status, _("Undone.")), person=appt.person_name)]
    lines += _points_lines(result.points)
    if not callback_data.list_message:
        lines.append(_("Send /today for the list."))
    await edit(callback, "\n".join(lines), None)
    await _refresh_list(
        callback,
        uow,
        clock,
        renderer,
        locale,
        settings,
        appt,
        callback_data.list_message,
        callback_data.page,
    )


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
    text, markup = await day_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, day, callback_data.page
    )
    await edit(callback, text, markup)


def check_in_prompt() -> str:
    return _("Send the resident's check-in code.")


async def _check_in(
    message: Message, uow: UnitOfWork, clock: Clock, locale: str, settings: Settings, code: str
) -> None:
    assert message.from_user is not None
    result = await attendance.check_in(
        uow, clock, message.from_user.id, code, admin_ids=settings.admin_ids
    )
    appt = result.appointment
    lines = [
        html_format(
            _("Checked in: {person}, {service}."),
            person=appt.person_name,
            service=kb.service_name(appt, locale),
        )
    ]
    markup = None
    if result.changed:
        if result.points > 0:
            lines.append(
                _("+{points} health points for the resident.").format(points=result.points)
            )
        lines.append(
            _("You can undo this for {minutes} minutes.").format(minutes=attendance.UNDO_MINUTES)
        )
        markup = kb.attendance_undo(appt.id, appt.status, result.previous)
    await message.answer("\n".join(lines), reply_markup=markup)


async def cmd_check_in(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    """`/checkin CODE`, or `/checkin` and then the code as the next message."""
    assert message.from_user is not None
    code = (command.args or "").strip()
    if not code:
        if not await console.is_doctor_or_admin(uow, settings, message.from_user.id):
            # Answered and logged like the refusal `/checkin CODE` gets from the service.
            raise NotAllowed(ErrorCode.NOT_A_DOCTOR)
        await message.answer(check_in_prompt(), reply_markup=keyboards.cancel())
        await state.set_state(CheckInCode.code)
        return
    await _check_in(message, uow, clock, locale, settings, code)


async def on_check_in_code(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    if not message.text:
        await message.answer(_("Please send the check-in code as text, or /cancel."))
        return
    await state.clear()
    await _check_in(message, uow, clock, locale, settings, message.text)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_day, Command("today", "tomorrow"))
    router.message.register(cmd_check_in, Command("checkin"))
    router.message.register(on_check_in_code, CheckInCode.code)
    router.callback_query.register(cb_attendance, AttendanceCD.filter())
    router.callback_query.register(cb_attendance_fix, AttendanceFixCD.filter())
    router.callback_query.register(cb_attendance_undo, AttendanceUndoCD.filter())
    router.callback_query.register(cb_day_page, DayPageCD.filter())
    return router
