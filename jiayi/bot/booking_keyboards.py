"""Keyboards of the booking flow, the appointment cards and the doctor's day list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    ApptAction,
    ApptCD,
    AttendanceCD,
    AttendanceFixCD,
    AttendanceUndoCD,
    BookConfirmCD,
    BookDayCD,
    BookPersonCD,
    BookServiceCD,
    BookSlotCD,
    CancelCD,
    DayPageCD,
    MenuCD,
    MenuItem,
    OfferAcceptCD,
    UndoOutcome,
    WaitlistJoinCD,
)
from jiayi.bot.paging import add_nav
from jiayi.content.dates import day_words, time_words, when_words
from jiayi.content.localized import localized
from jiayi.services.booking import (
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    DayAvailability,
    PersonChoice,
    SlotRecord,
)


def day_label(day: date, locale: str, today: date) -> str:
    """12月9日（周三） / Wed 9 Dec (the year only when it is not `today`'s)."""
    return day_words(day, locale, today=today)


def as_int(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def from_int(value: int) -> date:
    return date(value // 10000, value // 100 % 100, value % 100)


def service_name(service: BookableServiceRecord | AppointmentRecord, locale: str) -> str:
    if isinstance(service, AppointmentRecord):
        return localized(service, "service_name", locale)
    return localized(service, "name", locale)


def _menu_row(kb: InlineKeyboardBuilder) -> None:
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))


def _cancel(kb: InlineKeyboardBuilder) -> None:
    """Every step of booking can be left in one tap: nothing is booked until "Confirm"."""
    kb.button(text=_("Cancel"), callback_data=CancelCD())


def _pairs_then_back(kb: InlineKeyboardBuilder) -> InlineKeyboardMarkup:
    """Choices two a row, then « Back and Cancel (the last two buttons) on a row of their own."""
    choices = len(list(kb.buttons)) - 2
    return kb.adjust(*([2] * (choices // 2)), *([1] * (choices % 2)), 2).as_markup()


def services(items: list[BookableServiceRecord], locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for service in items:
        kb.button(
            text=service_name(service, locale), callback_data=BookServiceCD(service_id=service.id)
        )
    _menu_row(kb)
    return kb.adjust(1).as_markup()


def when_label(local: datetime, locale: str, today: date) -> str:
    """12月9日（周三）上午8:30 / Wed 9 Dec, 8:30 am."""
    return when_words(local, locale, today=today)


def _age(months: int) -> str:
    if months >= 12 and months % 12 == 0:
        return _("{n} years").format(n=months // 12)
    return _("{n} months").format(n=months)


def age_range(min_months: int | None, max_months: int | None) -> str:
    """Who a service is for, in words: "aged 6 months and over"."""
    if min_months is not None and max_months is not None:
        return _("aged {low} to {high}").format(low=_age(min_months), high=_age(max_months))
    if min_months is not None:
        return _("aged {low} and over").format(low=_age(min_months))
    return _("aged up to {high}").format(high=_age(max_months or 0))


def people(
    service_id: int,
    choices: list[PersonChoice],
    booked: Sequence[tuple[AppointmentRecord, datetime]],
    locale: str,
    today: date,
) -> InlineKeyboardMarkup:
    """The people the service can be booked for; then, for those already booked, their
    appointment (to change it there)."""
    kb = InlineKeyboardBuilder()
    for person in choices:
        label = _("Myself") if person.member_id is None else person.name
        kb.button(
            text=label,
            callback_data=BookPersonCD(service_id=service_id, member_id=person.member_id or 0),
        )
    for appt, local in booked:
        kb.button(
            text=_("Booked: {person} · {when}").format(
                person=appt.person_name, when=when_label(local, locale, today)
            ),
            callback_data=ApptCD(action=ApptAction.OPEN, appointment_id=appt.id),
        )
    kb.button(text=_("« Back"), callback_data=MenuCD(item=MenuItem.BOOK))
    _cancel(kb)
    return kb.adjust(*([1] * len(choices)), 2).as_markup()


def days(
    service_id: int,
    member_id: int,
    items: list[DayAvailability],
    locale: str,
    resched: int = 0,
    *,
    today: date,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for item in items:
        free = _("{n} free").format(n=item.free) if item.free else _("full")
        kb.button(
            text=f"{day_label(item.day, locale, today)} · {free}",
            callback_data=BookDayCD(
                service_id=service_id, member_id=member_id, day=as_int(item.day), resched=resched
            ),
        )
    kb.button(text=_("« Back"), callback_data=MenuCD(item=MenuItem.BOOK))
    _cancel(kb)
    return _pairs_then_back(kb)


def slots(
    service_id: int,
    member_id: int,
    items: list[SlotRecord],
    zone_local: list[datetime],
    resched: int = 0,
    *,
    locale: str,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for slot, local in zip(items, zone_local, strict=True):
        time = time_words(local, locale)
        if slot.free > 0:
            kb.button(
                text=_("{time} · {n} free").format(time=time, n=slot.free),
                callback_data=BookSlotCD(slot_id=slot.id, member_id=member_id, resched=resched),
            )
        elif not resched:
            kb.button(
                text=_("{time} · full, join waitlist").format(time=time),
                callback_data=WaitlistJoinCD(slot_id=slot.id, member_id=member_id),
            )
    kb.button(
        text=_("« Other days"),
        # Moving an appointment stays a move: back to its own days, not to a new booking.
        callback_data=ApptCD(action=ApptAction.RESCHEDULE, appointment_id=resched)
        if resched
        else BookPersonCD(service_id=service_id, member_id=member_id),
    )
    _cancel(kb)
    return _pairs_then_back(kb)


def confirm(slot_id: int, member_id: int, resched: int = 0) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Confirm booking") if not resched else _("Confirm new time"),
        callback_data=BookConfirmCD(slot_id=slot_id, member_id=member_id, resched=resched),
    )
    _cancel(kb)
    return kb.adjust(1).as_markup()


def appointment(appointment_id: int, status: AppointmentStatus) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if status is AppointmentStatus.BOOKED:
        kb.button(
            text=_("Add to calendar"),
            callback_data=ApptCD(action=ApptAction.ICS, appointment_id=appointment_id),
        )
        kb.button(
            text=_("Reschedule"),
            callback_data=ApptCD(action=ApptAction.RESCHEDULE, appointment_id=appointment_id),
        )
        kb.button(
            text=_("Cancel appointment"),
            callback_data=ApptCD(action=ApptAction.CANCEL, appointment_id=appointment_id),
        )
    kb.button(text=_("My appointments"), callback_data=MenuCD(item=MenuItem.APPOINTMENTS))
    return kb.adjust(1).as_markup()


def reminder(appointment_id: int, *, can_change: bool = True) -> InlineKeyboardMarkup:
    """`can_change` False inside the service's no-change window: buttons that would only be
    refused are not shown."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("I'll be there"),
        callback_data=ApptCD(action=ApptAction.CONFIRM, appointment_id=appointment_id),
    )
    if not can_change:
        return kb.as_markup()
    kb.button(
        text=_("Reschedule"),
        callback_data=ApptCD(action=ApptAction.RESCHEDULE, appointment_id=appointment_id),
    )
    kb.button(
        text=_("Cancel appointment"),
        callback_data=ApptCD(action=ApptAction.CANCEL, appointment_id=appointment_id),
    )
    return kb.adjust(1).as_markup()


def confirm_cancel(appointment_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Yes, cancel it"),
        callback_data=ApptCD(action=ApptAction.CANCEL_YES, appointment_id=appointment_id),
    )
    kb.button(
        text=_("No, keep it"),
        callback_data=ApptCD(action=ApptAction.OPEN, appointment_id=appointment_id),
    )
    return kb.adjust(1).as_markup()


def my_appointments(
    items: list[AppointmentRecord], locale: str, zone_local: list[datetime], today: date
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for item, local in zip(items, zone_local, strict=True):
        when = when_words(local, locale, today=today)
        kb.button(
            text=f"{when} · {service_name(item, locale)} · {item.person_name}",
            callback_data=ApptCD(action=ApptAction.OPEN, appointment_id=item.id),
        )
    kb.button(text=_("Book an appointment"), callback_data=MenuCD(item=MenuItem.BOOK))
    _menu_row(kb)
    return kb.adjust(1).as_markup()


def offer(waitlist_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Take this place"), callback_data=OfferAcceptCD(waitlist_id=waitlist_id))
    return kb.as_markup()


def rebook(service_id: int, member_id: int | None) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Choose another time"),
        callback_data=BookPersonCD(service_id=service_id, member_id=member_id or 0),
    )
    return kb.as_markup()


def doctor_day(
    items: list[AppointmentRecord],
    zone_local: list[datetime],
    *,
    locale: str,
    day: date | None = None,
    page: int = 0,
    pages: int = 1,
) -> InlineKeyboardMarkup:
    """✓/✗ for the appointments of one page of the day list (each button remembers its page),
    and ◀ ▶ between pages."""
    kb = InlineKeyboardBuilder()
    rows = []
    for item, local in zip(items, zone_local, strict=True):
        if item.status is not AppointmentStatus.BOOKED:
            continue
        label = f"{time_words(local, locale)} {item.person_name}"
        kb.button(
            text=f"✓ {label}",
            callback_data=AttendanceCD(appointment_id=item.id, attended=True, page=page),
        )
        kb.button(
            text=_("✗ no-show"),
            callback_data=AttendanceCD(appointment_id=item.id, attended=False, page=page),
        )
        rows.append(2)
    if day is not None:
        nav = add_nav(kb, page, pages, DayPageCD, day=as_int(day))
        if nav:
            rows.append(nav)
    return kb.adjust(*rows).as_markup() if rows else InlineKeyboardBuilder().as_markup()


def after_refusal(code: str) -> InlineKeyboardMarkup:
    """Where to go from a refused confirmation: the appointment that is already there, or
    back to choosing."""
    kb = InlineKeyboardBuilder()
    if code == "already_booked":
        kb.button(text=_("My appointments"), callback_data=MenuCD(item=MenuItem.APPOINTMENTS))
    else:
        kb.button(text=_("Book an appointment"), callback_data=MenuCD(item=MenuItem.BOOK))
    _menu_row(kb)
    return kb.adjust(1).as_markup()


def attendance_fix(
    appointment_id: int, attended: bool, list_message: int = 0, page: int = 0
) -> InlineKeyboardMarkup:
    """Change a recorded outcome, or keep it (the safe choice, second)."""
    kb = InlineKeyboardBuilder()
    for apply, text in (
        (True, _("Yes, mark attended") if attended else _("Yes, mark no-show")),
        (False, _("No, keep it")),
    ):
        kb.button(
            text=text,
            callback_data=AttendanceFixCD(
                appointment_id=appointment_id,
                attended=attended,
                apply=apply,
                list_message=list_message,
                page=page,
            ),
        )
    return kb.adjust(1).as_markup()


def attendance_undo(
    appointment_id: int,
    marked: AppointmentStatus,
    previous: AppointmentStatus,
    list_message: int = 0,
    page: int = 0,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("↩ Undo"),
        callback_data=AttendanceUndoCD(
            appointment_id=appointment_id,
            marked=UndoOutcome(marked.value),
            previous=UndoOutcome(previous.value),
            list_message=list_message,
            page=page,
        ),
    )
    return kb.as_markup()
