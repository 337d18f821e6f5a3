"""Buttons doctors press: the desk, the day lists and attendance, residents, questions,
broadcasts and readings alerts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from jiayi.bot.callbacks.fields import Num, Ymd


class AttendanceCD(CallbackData, prefix="att"):
    appointment_id: Num
    attended: bool
    page: Num = 0  # the page of the day list the button is on, shown again after the press


class DoctorMenuItem(StrEnum):
    TODAY = "today"
    CHECKIN = "checkin"
    QUESTIONS = "questions"
    BROADCAST = "broadcast"
    RESIDENTS = "residents"


class DoctorMenuCD(CallbackData, prefix="dmenu"):
    """A button of the doctor's desk (bot/doctor/home.py)."""

    item: DoctorMenuItem


class AttendanceFixCD(CallbackData, prefix="attfix"):
    """The answer to "change a recorded outcome?": apply it (`attended`) or keep it."""

    appointment_id: Num
    attended: bool
    apply: bool
    # The /today message the tap came from (0: none), refreshed once the change is made.
    list_message: Num = 0
    page: Num = 0


class UndoOutcome(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class AttendanceUndoCD(CallbackData, prefix="attundo"):
    """撤销 under a recorded mark: back from `marked` to `previous`."""

    appointment_id: Num
    marked: UndoOutcome
    previous: UndoOutcome
    list_message: Num = 0  # the /today message to refresh after the undo (0: none)
    page: Num = 0


class DayPageCD(CallbackData, prefix="dday"):
    """A page of a doctor's day list (/today, /tomorrow)."""

    day: Ymd
    page: Num = 0


class ResidentsCD(CallbackData, prefix="dres"):
    """A page of the doctor's resident list; filters travel with it ("" = any)."""

    page: Num = 0
    cond: str = ""
    age: str = ""


class ResidentCardCD(CallbackData, prefix="dcard"):
    resident_id: Num


class ResidentMessageCD(CallbackData, prefix="dmsg"):
    resident_id: Num


class QuestionReplyCD(CallbackData, prefix="qrep"):
    question_id: Num


class QuestionsPageCD(CallbackData, prefix="qpg"):
    page: Num = 0


class BcAction(StrEnum):
    ADD_SECOND = "second"
    SKIP_SECOND = "nosecond"
    AUDIENCE_DONE = "aud_done"
    SPREAD = "spread"  # value: hours (0 = burst)
    SEND_NOW = "now"
    SCHEDULE = "schedule"
    CONFIRM_SCHEDULE = "sched_ok"
    # Quick picks for the start (value: YYYYMMDDHH local for AT, YYYYMMDD for DAY).
    TONIGHT = "tonight"
    TOMORROW = "tomorrow"
    PICK_DATE = "pickdate"
    PICK_DAY = "pickday"
    AT = "at"


class BcStepCD(CallbackData, prefix="bca"):
    action: BcAction
    value: Num = 0


class BcSegmentCD(CallbackData, prefix="bcs"):
    code: str  # a segment code from services.broadcasts (no ":" in codes)


class BroadcastAction(StrEnum):
    OPEN = "open"
    REFRESH = "refresh"
    CANCEL = "cancel"


class BroadcastCD(CallbackData, prefix="bcm"):
    action: BroadcastAction
    broadcast_id: Num


class DoctorAlertsCD(CallbackData, prefix="dalert"):
    all_hours: bool


class DoctorReadingsCD(CallbackData, prefix="drdg"):
    resident_id: Num
    # A care-plan rule id: record that follow-up as done by reviewing the home readings.
    review: Annotated[str, Field(max_length=16)] = ""
