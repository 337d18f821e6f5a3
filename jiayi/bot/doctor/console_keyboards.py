"""Buttons and labels of the doctor console, in the current i18n locale."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    AskDoctorCD,
    BcAction,
    BcSegmentCD,
    BcStepCD,
    BroadcastAction,
    BroadcastCD,
    CancelCD,
    CareRecordCD,
    DoctorReadingsCD,
    LectureCD,
    QuestionReplyCD,
    QuestionsPageCD,
    ResidentCardCD,
    ResidentMessageCD,
    ResidentsCD,
)
from jiayi.bot.labels import condition_label
from jiayi.bot.paging import add_nav
from jiayi.content.dates import hour_words
from jiayi.services.broadcasts import BroadcastReport, BroadcastStatus
from jiayi.services.console import AgeBand, ResidentPage
from jiayi.services.residents import Condition
from jiayi.storage.records import QuestionRecord

SPREAD_HOURS = 8


def age_band_label(band: AgeBand) -> str:
    return {
        AgeBand.UNDER_45: _("Under 45"),
        AgeBand.FROM_45: _("45–64"),
        AgeBand.FROM_65: _("65+"),
    }[band]


def segment_label(code: str) -> str:
    """A segment's name; segments registered by other features fall back to their code."""
    kind, _dot, value = code.partition(".")
    if kind == "cond":
        return condition_label(Condition(value))
    if kind == "age":
        return _("Age {band}").format(band=age_band_label(AgeBand(value)))
    return {
        "kids_u6": _("Families with children under 6"),
        "overdue": _("Overdue care items"),
        "readings_high": _("Home readings above target (30 days)"),
    }.get(code, code)


def segments_text(codes: tuple[str, ...] | list[str]) -> str:
    if not codes:
        return _("All my residents")
    return _(", ").join(segment_label(c) for c in codes)


def status_label(status: str) -> str:
    return {
        BroadcastStatus.SCHEDULED.value: _("scheduled"),
        BroadcastStatus.SENDING.value: _("sending"),
        BroadcastStatus.DONE.value: _("finished"),
        BroadcastStatus.CANCELLED.value: _("cancelled"),
    }.get(status, status)


def duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 60:
        return _("{n} s").format(n=max(seconds, 1))
    minutes = -(-seconds // 60)
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    if minutes % 60 == 0:
        return _("{n} h").format(n=minutes // 60)
    return _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)


def second_language(other: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    language = "English" if other == "en" else "简体中文"
    kb.button(
        text=_("Add {language} text").format(language=language),
        callback_data=BcStepCD(action=BcAction.ADD_SECOND),
    )
    kb.button(text=_("Skip"), callback_data=BcStepCD(action=BcAction.SKIP_SECOND))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def audience(codes: list[str], chosen: set[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for code in codes:
        mark = "✓ " if code in chosen else ""
        kb.button(text=mark + segment_label(code), callback_data=BcSegmentCD(code=code))
    kb.button(text=_("Continue"), callback_data=BcStepCD(action=BcAction.AUDIENCE_DONE))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(2).as_markup()


def confirm(spread_hours: int, scheduled: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if scheduled:
        kb.button(
            text=_("Confirm schedule"), callback_data=BcStepCD(action=BcAction.CONFIRM_SCHEDULE)
        )
    else:
        kb.button(text=_("Send now"), callback_data=BcStepCD(action=BcAction.SEND_NOW))
        kb.button(text=_("Schedule…"), callback_data=BcStepCD(action=BcAction.SCHEDULE))
    if spread_hours:
        kb.button(
            text=_("Send as fast as allowed"), callback_data=BcStepCD(action=BcAction.SPREAD)
        )
    else:
        kb.button(
            text=_("Spread over {hours} hours").format(hours=SPREAD_HOURS),
            callback_data=BcStepCD(action=BcAction.SPREAD, value=SPREAD_HOURS),
        )
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def schedule_picks(*, tonight: bool) -> InlineKeyboardMarkup:
    """今晚7点 (while it is ahead) · 明早9点 · 选择日期; typing a time works too."""
    kb = InlineKeyboardBuilder()
    if tonight:
        kb.button(text=_("Tonight 7 pm"), callback_data=BcStepCD(action=BcAction.TONIGHT))
    kb.button(text=_("Tomorrow 9 am"), callback_data=BcStepCD(action=BcAction.TOMORROW))
    kb.button(text=_("Pick a date"), callback_data=BcStepCD(action=BcAction.PICK_DATE))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def schedule_days(days: list[date], labels: list[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for day, label in zip(days, labels, strict=True):
        value = day.year * 10_000 + day.month * 100 + day.day
        kb.button(text=label, callback_data=BcStepCD(action=BcAction.PICK_DAY, value=value))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def schedule_hours(day: date, hours: list[int], locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    base = (day.year * 10_000 + day.month * 100 + day.day) * 100
    for hour in hours:
        kb.button(
            text=hour_words(hour, locale),
            callback_data=BcStepCD(action=BcAction.AT, value=base + hour),
        )
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(len(hours) or 1, 1).as_markup()


def broadcast_status(report: BroadcastReport) -> InlineKeyboardMarkup:
    b = report.broadcast
    kb = InlineKeyboardBuilder()
    if b.status in (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value):
        kb.button(
            text=_("Refresh"),
            callback_data=BroadcastCD(action=BroadcastAction.REFRESH, broadcast_id=b.id),
        )
        kb.button(
            text=_("Cancel the broadcast"),
            callback_data=BroadcastCD(action=BroadcastAction.CANCEL, broadcast_id=b.id),
        )
    return kb.adjust(1).as_markup()


def broadcast_list(reports: list[BroadcastReport]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for r in reports:
        kb.button(
            text=f"#{r.broadcast.id} · {status_label(r.broadcast.status)}",
            callback_data=BroadcastCD(action=BroadcastAction.OPEN, broadcast_id=r.broadcast.id),
        )
    return kb.adjust(2).as_markup()


def residents(page: ResidentPage, cond: str, age: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    sizes: list[int] = []
    for r in page.residents:
        kb.button(text=r.display_name, callback_data=ResidentCardCD(resident_id=r.id))
    sizes += [2] * (-(-len(page.residents) // 2))
    for condition in Condition:
        mark = "✓ " if cond == condition.value else ""
        kb.button(
            text=mark + condition_label(condition),
            callback_data=ResidentsCD(cond="" if mark else condition.value, age=age),
        )
    sizes.append(2)
    sizes.append(2)
    for band in AgeBand:
        mark = "✓ " if age == band.value else ""
        kb.button(
            text=mark + age_band_label(band),
            callback_data=ResidentsCD(cond=cond, age="" if mark else band.value),
        )
    sizes.append(len(AgeBand))
    nav = add_nav(kb, page.page, page.pages, ResidentsCD, cond=cond, age=age)
    if nav:
        sizes.append(nav)
    return kb.adjust(*sizes).as_markup()


def resident_card(
    resident_id: int, members: list[tuple[int, str]], *, can_record: bool
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Send a message"), callback_data=ResidentMessageCD(resident_id=resident_id))
    kb.button(text=_("Home readings"), callback_data=DoctorReadingsCD(resident_id=resident_id))
    if can_record:
        kb.button(
            text=_("Record a follow-up, dose or prescription"),
            callback_data=CareRecordCD(resident_id=resident_id),
        )
        for member_id, name in members:
            kb.button(
                text=_("Record for {name}").format(name=name),
                callback_data=CareRecordCD(resident_id=resident_id, member_id=member_id),
            )
        kb.button(
            text=_("Attended a health lecture"),
            callback_data=LectureCD(resident_id=resident_id),
        )
    kb.button(text=_("Back to the list"), callback_data=ResidentsCD())
    return kb.adjust(1).as_markup()


def open_card(resident_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Open the resident's card"), callback_data=ResidentCardCD(resident_id=resident_id)
    )
    return kb.as_markup()


def ask_doctor() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Ask my doctor"), callback_data=AskDoctorCD())
    return kb.as_markup()


def question_reply(question_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Reply"), callback_data=QuestionReplyCD(question_id=question_id))
    return kb.as_markup()


def questions(
    items: list[QuestionRecord], *, first: int = 1, page: int = 0, pages: int = 1
) -> InlineKeyboardMarkup:
    """Reply buttons numbered as on the page (numbering runs on across pages), then ◀ ▶."""
    kb = InlineKeyboardBuilder()
    for i, q in enumerate(items, start=first):
        kb.button(
            text=_("Reply to {n}").format(n=i), callback_data=QuestionReplyCD(question_id=q.id)
        )
    sizes = [3] * (-(-len(items) // 3))
    nav = add_nav(kb, page, pages, QuestionsPageCD)
    if nav:
        sizes.append(nav)
    return kb.adjust(*sizes).as_markup()
