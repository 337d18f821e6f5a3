"""Buttons of care plans: reminders, the plan, the doctor's record, digests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    BookPersonCD,
    CareAction,
    CareDoneCD,
    CareItemCD,
    CareNudgeCD,
    CareRecordCD,
    CareRxCD,
    CareUndoCD,
    DigestCD,
    DigestChoice,
    MenuCD,
    MenuItem,
    ReadingCD,
    ReadingStep,
)
from jiayi.services.careplans import PRESCRIPTION_WEEKS, DoctorView, Outcome
from jiayi.services.push.care import CareReminder
from jiayi.services.readings import FOLLOW_UP_RULES


def yyyymmdd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def from_yyyymmdd(value: int) -> date | None:
    try:
        return date(value // 10_000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def reminder(
    service_id: int | None, member_id: int | None, rule: str, due: date
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if service_id:
        # Straight into the booking flow, with the service and the person already chosen.
        kb.button(
            text=_("Book now"),
            callback_data=BookPersonCD(service_id=service_id, member_id=member_id or 0),
        )
    item = {"rule": rule, "member_id": member_id or 0, "due": yyyymmdd(due)}
    kb.button(
        text=_("Remind me later"), callback_data=CareItemCD(action=CareAction.SNOOZE, **item)
    )
    kb.button(text=_("Done elsewhere"), callback_data=CareItemCD(action=CareAction.DONE, **item))
    sizes = [1, 2] if service_id else [2]
    if rule in FOLLOW_UP_RULES.values():
        # Home readings before a follow-up are what the guidelines ask for.
        kb.button(
            text=_("Record blood pressure or glucose"),
            callback_data=ReadingCD(step=ReadingStep.PERSON, member_id=member_id or 0),
        )
        sizes.append(1)
    return kb.adjust(*sizes).as_markup()


def household(items: Iterable[CareReminder], locale: str) -> InlineKeyboardMarkup:
    """One button per item of a household card: it opens the item's own reminder (book it,
    remind me later, done elsewhere)."""
    kb = InlineKeyboardBuilder()
    for item in items:
        label = item.name(locale)
        if not item.own and item.person:
            label = _("{item} · {person}").format(item=label, person=item.person)
        kb.button(
            text=label,
            callback_data=CareItemCD(
                action=CareAction.OPEN,
                rule=item.rule,
                member_id=item.member_id,
                due=yyyymmdd(item.due),
            ),
        )
    return kb.adjust(1).as_markup()


def nudge() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("My care plan"), callback_data=MenuCD(item=MenuItem.PLAN))
    return kb.as_markup()


def plan() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Book an appointment"), callback_data=MenuCD(item=MenuItem.BOOK))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(2).as_markup()


def digest(residents: Iterable[tuple[int, str]]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for resident_id, name in residents:
        kb.button(
            text=_("Remind {name}").format(name=name),
            callback_data=CareNudgeCD(resident_id=resident_id),
        )
    return kb.adjust(2).as_markup()


def doctor_record(
    view: DoctorView, names: dict[str, str], with_outcome: frozenset[str] = frozenset()
) -> InlineKeyboardMarkup:
    """`with_outcome`: rules whose follow-up is recorded as controlled or not (a visit found
    not controlled is due again in two weeks)."""
    kb = InlineKeyboardBuilder()
    member = view.member_id or 0
    rows: list[int] = []
    for entry in view.entries:
        if entry.state == "upcoming":
            continue
        done = {"resident_id": view.resident_id, "member_id": member, "rule": entry.rule_id}
        if entry.rule_id in with_outcome:
            kb.button(
                text=_("✓ {item}: controlled").format(item=names[entry.rule_id]),
                callback_data=CareDoneCD(**done, outcome=Outcome.CONTROLLED.value),
            )
            kb.button(
                text=_("✗ {item}: not controlled").format(item=names[entry.rule_id]),
                callback_data=CareDoneCD(**done, outcome=Outcome.UNCONTROLLED.value),
            )
            rows.append(2)
            continue
        kb.button(
            text=_("✓ {item}").format(item=names[entry.rule_id]),
            callback_data=CareDoneCD(**done),
        )
        rows.append(1)
    for weeks in PRESCRIPTION_WEEKS:
        kb.button(
            text=_("Prescription: {weeks} weeks").format(weeks=weeks),
            callback_data=CareRxCD(resident_id=view.resident_id, member_id=member, weeks=weeks),
        )
    return kb.adjust(*rows, 3).as_markup()


def digest_choice(current: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    labels = {
        DigestChoice.DAILY: _("Daily"),
        DigestChoice.WEEKLY: _("Weekly (Mondays)"),
        DigestChoice.OFF: _("Off"),
    }
    for choice, label in labels.items():
        mark = "✓ " if choice.value == current else ""
        kb.button(text=f"{mark}{label}", callback_data=DigestCD(frequency=choice))
    return kb.adjust(3).as_markup()


def care_undo(resident_id: int, member_id: int, rule: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("↩ Undo"),
        callback_data=CareUndoCD(resident_id=resident_id, member_id=member_id, rule=rule),
    )
    kb.button(
        text=_("Care record"),
        callback_data=CareRecordCD(resident_id=resident_id, member_id=member_id),
    )
    return kb.adjust(2).as_markup()


def care_record_button(resident_id: int, member_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Care record"),
        callback_data=CareRecordCD(resident_id=resident_id, member_id=member_id),
    )
    return kb.as_markup()
