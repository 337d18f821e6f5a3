"""My appointments: the list, one appointment's card, its calendar file, cancelling it and
rescheduling it (back into the booking flow at the days)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as kb
from jiayi.bot.callbacks import ApptAction, ApptCD
from jiayi.bot.replies import edit, send
from jiayi.bot.resident.booking.common import _card, _local, _today
from jiayi.bot.resident.booking.flow import days_screen
from jiayi.content.render import Renderer
from jiayi.services import booking
from jiayi.services.booking import AppointmentStatus
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.ics import appointment_ics
from jiayi.services.settings import Settings


async def _appointments_screen(
    target: Message | CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    user_id = target.from_user.id if target.from_user else 0
    items = await booking.my_appointments(uow, clock, user_id)
    local = [_local(a.starts_at, settings) for a in items]
    text = _("Your upcoming appointments:") if items else _("You have no upcoming appointments.")
    markup = kb.my_appointments(items, locale, local, _today(clock, settings))
    if isinstance(target, CallbackQuery):
        await edit(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def cmd_appointments(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    await state.clear()
    await _appointments_screen(message, uow, clock, locale, settings)


async def cb_appointments(
    callback: CallbackQuery, uow: UnitOfWork, clock: Clock, locale: str, settings: Settings
) -> None:
    await _appointments_screen(callback, uow, clock, locale, settings)


async def cb_appointment(
    callback: CallbackQuery,
    callback_data: ApptCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user_id = callback.from_user.id
    action = callback_data.action
    appt = await booking.get_appointment(uow, user_id, callback_data.appointment_id)
    if action is not ApptAction.OPEN and appt.status is not AppointmentStatus.BOOKED:
        # A stale button (the appointment was cancelled, moved or attended since): show what
        # it is now, with only the buttons that still work.
        await edit(
            callback,
            _card(renderer, locale, settings, appt, "appointment"),
            kb.appointment(appt.id, appt.status),
        )
        return
    if action is ApptAction.OPEN:
        await edit(
            callback,
            _card(renderer, locale, settings, appt, "appointment"),
            kb.appointment(appt.id, appt.status),
        )
    elif action is ApptAction.CONFIRM:
        await send(
            callback,
            _("Thank you — see you then. Your check-in code is {code}.").format(
                code=appt.check_in_code
            ),
        )
    elif action is ApptAction.ICS:
        assert callback.bot is not None
        data = appointment_ics(appt, locale=locale, now=clock.now(), renderer=renderer)
        await callback.bot.send_document(
            user_id,
            BufferedInputFile(data, filename=f"appointment-{appt.id}.ics"),
            caption=_("Open this file to add the appointment to your calendar."),
        )
    elif action is ApptAction.CANCEL:
        # Asked in place: the card's other buttons go, so nothing stale is left to press.
        await edit(
            callback,
            _card(renderer, locale, settings, appt, "appointment")
            + "\n\n"
            + _("Cancel this appointment?"),
            kb.confirm_cancel(appt.id),
        )
    elif action is ApptAction.CANCEL_YES:
        await booking.cancel(uow, clock, user_id, appt.id)
        await edit(callback, _("The appointment is cancelled."), None)
    else:  # reschedule: same service and person, a new time
        await days_screen(
            callback,
            uow,
            clock,
            locale,
            settings,
            appt.service_id,
            appt.family_member_id or 0,
            resched=appt.id,
        )
