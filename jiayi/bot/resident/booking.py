"""Booking: service → for whom → day → time → confirm; my appointments; reminders' buttons."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message, Update
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as kb
from jiayi.bot import keyboards
from jiayi.bot.callbacks import (
    ApptAction,
    ApptCD,
    BookConfirmCD,
    BookDayCD,
    BookPersonCD,
    BookServiceCD,
    BookSlotCD,
    MenuCD,
    MenuItem,
    OfferAcceptCD,
    WaitlistJoinCD,
)
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import error_text
from jiayi.bot.replies import drop_buttons, edit, send
from jiayi.content.render import Renderer
from jiayi.services import booking, readings
from jiayi.services.booking import AppointmentRecord, AppointmentStatus
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError
from jiayi.services.ics import appointment_ics
from jiayi.services.residents import Sex
from jiayi.services.settings import Settings


def _member(member_id: int) -> int | None:
    return member_id or None


def _local(instant: datetime, settings: Settings) -> datetime:
    return instant.astimezone(settings.zone)


def _today(clock: Clock, settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def _card(
    renderer: Renderer, locale: str, settings: Settings, appt: AppointmentRecord, template: str
) -> str:
    return renderer.render(
        template,
        locale,
        service=kb.service_name(appt, locale),
        person=appt.person_name,
        starts_at=_local(appt.starts_at, settings),
        centre=appt.centre_name if locale == "zh-CN" else appt.centre_name_en,
        doctor=appt.doctor_name,
        code=appt.check_in_code,
        status=appt.status.value,
        phone=appt.centre_phone,
        address=appt.centre_address,
    )


async def _send_booked(
    callback: CallbackQuery,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    appt: AppointmentRecord,
) -> None:
    """The answered question loses its buttons; the new appointment's card follows."""
    await drop_buttons(callback)
    await send(
        callback,
        _card(renderer, locale, settings, appt, "booked"),
        kb.appointment(appt.id, appt.status),
    )
    if appt.family_member_id is None and readings.offers_reminder(appt.service_code):
        # A week of home readings before a chronic follow-up is what the doctor will look at.
        await send(
            callback,
            _(
                "Would you like reminders to measure your blood pressure or glucose at home "
                "before the visit?"
            ),
            keyboards.reading_reminder_offer(),
        )


async def _services_screen(target: Message | CallbackQuery, uow: UnitOfWork, locale: str) -> None:
    user_id = target.from_user.id if target.from_user else 0
    items = await booking.list_services(uow, user_id)
    text = _("What would you like to book?") if items else _("No services can be booked yet.")
    markup = kb.services(items, locale)
    if isinstance(target, CallbackQuery):
        await edit(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def cmd_book(message: Message, state: FSMContext, uow: UnitOfWork, locale: str) -> None:
    await state.clear()
    await _services_screen(message, uow, locale)


async def cb_book(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, locale: str
) -> None:
    await state.clear()
    await _services_screen(callback, uow, locale)


def _booked_line(
    appt: AppointmentRecord, service: str, locale: str, settings: Settings, today: date
) -> str:
    when = kb.when_label(_local(appt.starts_at, settings), locale, today)
    if appt.family_member_id is None:
        return _("You already have an appointment for {service}: {when}.").format(
            service=service, when=when
        )
    return _("{person} already has an appointment for {service}: {when}.").format(
        person=appt.person_name, service=service, when=when
    )


def _people_text(
    found: booking.ServicePeople, locale: str, settings: Settings, today: date
) -> str:
    """The person question (or, when nobody can be booked, why not), naming everyone the
    list leaves out and the reason."""
    service = kb.service_name(found.service, locale)
    ranges = kb.age_range(found.service.min_age_months, found.service.max_age_months)
    left_out = [p.name for p in found.too_young + found.too_old]
    lines = []
    if found.bookable:
        lines.append(_("Who is the appointment for?"))
    elif left_out or found.other_sex:
        # (When everyone is simply booked already, their own lines say it all.)
        lines.append(_("Nobody in your household can book {service} now.").format(service=service))
    lines += [_booked_line(appt, service, locale, settings, today) for appt in found.booked]
    if left_out:
        lines.append(
            _("Not for {names}: {service} is only for people {ages}.").format(
                names=_(", ").join(left_out), service=service, ages=ranges
            )
        )
    if found.other_sex:
        names = _(", ").join(p.name for p in found.other_sex)
        lines.append(
            _("Not for {names}: {service} is only for women.").format(names=names, service=service)
            if found.service.sex is Sex.FEMALE
            else _("Not for {names}: {service} is only for men.").format(
                names=names, service=service
            )
        )
    if found.booked:
        lines.append(_("To change an appointment, open it below."))
    return "\n\n".join(lines)


async def cb_service(
    callback: CallbackQuery,
    callback_data: BookServiceCD,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    found = await booking.people_for_service(
        uow, clock, callback.from_user.id, callback_data.service_id, settings.zone
    )
    if found.household_size == 1 and found.bookable:  # nobody else: straight to the days
        await _days(callback, uow, clock, locale, settings, callback_data.service_id, 0)
        return
    booked = [(appt, _local(appt.starts_at, settings)) for appt in found.booked]
    today = _today(clock, settings)
    await edit(
        callback,
        _people_text(found, locale, settings, today),
        kb.people(callback_data.service_id, found.bookable, booked, locale, today),
    )


async def _already_booked(
    callback: CallbackQuery, appt: AppointmentRecord, locale: str, settings: Settings, today: date
) -> None:
    """Said as soon as the service and person are chosen: a second booking would fail."""
    text = (
        _booked_line(appt, kb.service_name(appt, locale), locale, settings, today)
        + "\n\n"
        + _("To change an appointment, open it below.")
    )
    booked = [(appt, _local(appt.starts_at, settings))]
    await edit(callback, text, kb.people(appt.service_id, [], booked, locale, today))


async def cb_person(
    callback: CallbackQuery,
    callback_data: BookPersonCD,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    existing = await booking.existing_booking(
        uow, callback.from_user.id, callback_data.service_id, _member(callback_data.member_id)
    )
    if existing is not None:
        await _already_booked(callback, existing, locale, settings, _today(clock, settings))
        return
    await _days(
        callback, uow, clock, locale, settings, callback_data.service_id, callback_data.member_id
    )


async def _days(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
    service_id: int,
    member_id: int,
    resched: int = 0,
) -> None:
    items = await booking.available_days(
        uow, clock, callback.from_user.id, service_id, _member(member_id), settings.zone
    )
    if not items:
        await edit(
            callback,
            _("No free times in the next two weeks. Please check again later."),
            kb.days(service_id, member_id, [], locale, today=_today(clock, settings)),
        )
        return
    await edit(
        callback,
        _("Choose a day:"),
        kb.days(service_id, member_id, items, locale, resched, today=_today(clock, settings)),
    )


async def cb_day(
    callback: CallbackQuery,
    callback_data: BookDayCD,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    day = kb.from_int(callback_data.day)
    items = await booking.slots_on(
        uow,
        clock,
        callback.from_user.id,
        callback_data.service_id,
        _member(callback_data.member_id),
        day,
        settings.zone,
    )
    local = [_local(s.starts_at, settings) for s in items]
    text = _("{day}: choose a time.").format(
        day=kb.day_label(day, locale, _today(clock, settings))
    )
    if not items:
        text = _("No times left that day. Please choose another day.")
    await edit(
        callback,
        text,
        kb.slots(
            callback_data.service_id,
            callback_data.member_id,
            items,
            local,
            callback_data.resched,
            locale=locale,
        ),
    )


async def cb_slot(
    callback: CallbackQuery,
    callback_data: BookSlotCD,
    uow: UnitOfWork,
    renderer: Renderer,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    summary = await booking.slot_summary(
        uow, callback.from_user.id, callback_data.slot_id, _member(callback_data.member_id)
    )
    if not callback_data.resched:
        existing = await booking.existing_booking(
            uow, callback.from_user.id, summary.service_id, summary.member_id
        )
        if existing is not None:  # a stale list: booked meanwhile from another message
            await _already_booked(callback, existing, locale, settings, _today(clock, settings))
            return
    text = renderer.render(
        "book_confirm",
        locale,
        service=summary.service_name_zh if locale == "zh-CN" else summary.service_name_en,
        person=summary.person_name,
        starts_at=_local(summary.starts_at, settings),
        centre=summary.centre_name if locale == "zh-CN" else summary.centre_name_en,
        resched=bool(callback_data.resched),
    )
    await edit(
        callback,
        text,
        kb.confirm(callback_data.slot_id, callback_data.member_id, callback_data.resched),
    )


async def cb_confirm(
    callback: CallbackQuery,
    callback_data: BookConfirmCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    event_update: Update,
) -> None:
    try:
        if callback_data.resched:
            appt = await booking.reschedule(
                uow, clock, callback.from_user.id, callback_data.resched, callback_data.slot_id
            )
        else:
            appt = await booking.book(
                uow,
                clock,
                callback.from_user.id,
                callback_data.slot_id,
                _member(callback_data.member_id),
                settings.zone,
            )
    except DomainError as error:
        log_refusal(event_update, error)
        # The confirmation can't be pressed again: it would only be refused again.
        await edit(callback, error_text(error), kb.after_refusal(error.code))
        return
    await _send_booked(callback, renderer, locale, settings, appt)


async def cb_waitlist(
    callback: CallbackQuery,
    callback_data: WaitlistJoinCD,
    uow: UnitOfWork,
    clock: Clock,
) -> None:
    entry = await booking.join_waitlist(
        uow,
        clock,
        callback.from_user.id,
        callback_data.slot_id,
        _member(callback_data.member_id),
    )
    await send(
        callback,
        _(
            "You're number {position} on the waiting list. If a place frees up, we'll message "
            "you and hold it for 30 minutes."
        ).format(position=entry.position),
    )


async def cb_offer_accept(
    callback: CallbackQuery,
    callback_data: OfferAcceptCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    appt = await booking.accept_offer(
        uow, clock, callback.from_user.id, callback_data.waitlist_id, settings.zone
    )
    await _send_booked(callback, renderer, locale, settings, appt)


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
        await _days(
            callback,
            uow,
            clock,
            locale,
            settings,
            appt.service_id,
            appt.family_member_id or 0,
            resched=appt.id,
        )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_book, Command("book"))
    router.message.register(cmd_appointments, Command("appointments"))
    router.callback_query.register(cb_book, MenuCD.filter(F.item == MenuItem.BOOK))
    router.callback_query.register(cb_appointments, MenuCD.filter(F.item == MenuItem.APPOINTMENTS))
    router.callback_query.register(cb_service, BookServiceCD.filter())
    router.callback_query.register(cb_person, BookPersonCD.filter())
    router.callback_query.register(cb_day, BookDayCD.filter())
    router.callback_query.register(cb_slot, BookSlotCD.filter())
    router.callback_query.register(cb_confirm, BookConfirmCD.filter())
    router.callback_query.register(cb_waitlist, WaitlistJoinCD.filter())
    router.callback_query.register(cb_offer_accept, OfferAcceptCD.filter())
    router.callback_query.register(cb_appointment, ApptCD.filter())
    return router
