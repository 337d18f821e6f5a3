"""Keyboards of the booking flow, the appointment cards and the doctor's day list."""

from __future__ import annotations

from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from services.booking import (
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    DayAvailability,
    PersonChoice,
    SlotRecord,
)

from bot.aiogram_shim import InlineKeyboardBuilder
from bot.callbacks import (
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
    DayPageCD,
    MenuCD,
    MenuItem,
    OfferAcceptCD,
    UndoOutcome,
    WaitlistJoinCD,
)
from bot.paging import add_nav


def babel_locale(locale: str) -> str:
    return "zh_CN" if locale == "zh-CN" else "en"


def day_label(day: date, locale: str) -> str:
    pattern = "M月d日 EEE" if locale == "zh-CN" else "EEE d MMM"
    return format_date(day, pattern, locale=babel_locale(locale))


def as_int(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def from_int(value: int) -> date:
    return date(value // 10000, value // 100 % 100, value % 100)


def service_name(service: BookableServiceRecord | AppointmentRecord, locale: str) -> str:
    if isinstance(service, AppointmentRecord):
        return service.service_name_zh if locale == "zh-CN" else service.service_name_en
    return service.name_zh if locale == "zh-CN" else service.name_en


def _menu_row(kb: InlineKeyboardBuilder) -> None:
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))


def services(items: list[BookableServiceRecord], locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for service in items:
        kb.button(
            text=service_name(service, locale), callback_data=BookServiceCD(service_id=service.id)
        )
    _menu_row(kb)
    return kb.adjust(1).as_markup()


def people(service_id: int, choices: list[PersonChoice]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for person in choices:
        label = _("Myself") if person.member_id is None else person.name
        kb.button(
            text=label,
            callback_data=BookPersonCD(service_id=service_id, member_id=person.member_id or 0),
        )
    kb.button(text=_("« Back"), callback_data=MenuCD(item=MenuItem.BOOK))
    return kb.adjust(1).as_markup()


def days(
    service_id: int, member_id: int, items: list[DayAvailability], locale: str, resched: int = 0
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for item in items:
        free = _("{n} free").format(n=item.free) if item.free else _("full")
        kb.button(
            text=f"{day_label(item.day, locale)} · {free}",
            callback_data=BookDayCD(
                service_id=service_id, member_id=member_id, day=as_int(item.day), resched=resched
            ),
        )
    kb.button(text=_("« Back"), callback_data=MenuCD(item=MenuItem.BOOK))
    return kb.adjust(2).as_markup()


def slots(
    service_id: int,
    member_id: int,
    items: list[SlotRecord],
    zone_local: list[datetime],
    resched: int = 0,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for slot, local in zip(items, zone_local, strict=True):
        time = local.strftime("%H:%M")
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
        callback_data=BookPersonCD(service_id=service_id, member_id=member_id),
    )
    return kb.adjust(2).as_markup()


def confirm(slot_id: int, member_id: int, resched: int = 0) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Confirm booking") if not resched else _("Confirm new time"),
        callback_data=BookConfirmCD(slot_id=slot_id, member_id=member_id, resched=resched),
    )
    kb.button(text=_("Cancel"), callback_data=MenuCD(item=MenuItem.MENU))
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
    items: list[AppointmentRecord], locale: str, zone_local: list[datetime]
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for item, local in zip(items, zone_local, strict=True):
        when = local.strftime("%m-%d %H:%M")
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
        label = f"{local.strftime('%H:%M')} {item.person_name}"
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


def attendance_fix(appointment_id: int, attended: bool) -> InlineKeyboardMarkup:
    """Change a recorded outcome, or keep it (the safe choice, second)."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Yes, mark attended") if attended else _("Yes, mark no-show"),
        callback_data=AttendanceFixCD(
            appointment_id=appointment_id, attended=attended, apply=True
        ),
    )
    kb.button(
        text=_("No, keep it"),
        callback_data=AttendanceFixCD(
            appointment_id=appointment_id, attended=attended, apply=False
        ),
    )
    return kb.adjust(1).as_markup()


def attendance_undo(
    appointment_id: int, marked: AppointmentStatus, previous: AppointmentStatus
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("↩ Undo"),
        callback_data=AttendanceUndoCD(
            appointment_id=appointment_id,
            marked=UndoOutcome(marked.value),
            previous=UndoOutcome(previous.value),
        ),
    )
    return kb.as_markup()
