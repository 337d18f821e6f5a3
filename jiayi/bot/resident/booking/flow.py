"""Booking: service → for whom → day → time → confirm, the waiting list, and a freed place
offered to the waiting list."""

from __future__ import annotations

from datetime import date

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, Update
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as kb
from jiayi.bot.callbacks import (
    BookConfirmCD,
    BookDayCD,
    BookPersonCD,
    BookServiceCD,
    BookSlotCD,
    OfferAcceptCD,
    WaitlistJoinCD,
)
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import error_text
from jiayi.bot.replies import edit, send
from jiayi.bot.resident.booking.common import _local, _member, _send_booked, _today
from jiayi.content.localized import localized
from jiayi.content.render import Renderer
from jiayi.services import booking
from jiayi.services.booking import AppointmentRecord
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError
from jiayi.services.residents import Sex
from jiayi.services.settings import Settings


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
        await days_screen(callback, uow, clock, locale, settings, callback_data.service_id, 0)
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
    await days_screen(
        callback, uow, clock, locale, settings, callback_data.service_id, callback_data.member_id
    )


async def days_screen(
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
        service=localized(summary, "service_name", locale),
        person=summary.person_name,
        starts_at=_local(summary.starts_at, settings),
        centre=localized(summary, "centre_name", locale),
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
