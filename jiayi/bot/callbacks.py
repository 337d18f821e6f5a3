"""Typed callback data for every inline button. Ids and enum values only (64-byte limit)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import AfterValidator, Field

from jiayi.services.family import Relation
from jiayi.services.pushes import Action, Topic
from jiayi.services.residents import Condition, Sex


def _real_day(value: int) -> int:
    try:
        date(value // 10000, value // 100 % 100, value % 100)
    except (ValueError, OverflowError):
        raise ValueError("not a calendar day") from None
    return value


# Every number in button data: an id, a page, a choice. Forged data out of this range (a
# negative page, an id past the database's integer) fails unpacking like a bad day does.
Num = Annotated[int, Field(ge=0, le=2_147_483_647)]
# A local calendar day as yyyymmdd. Button data can be forged: a value that is no real day
# fails unpacking, so the button's filter doesn't match and the press is answered like a
# stale button (bot.fallback), instead of a handler failing on it.
Ymd = Annotated[int, AfterValidator(_real_day)]


class Lang(StrEnum):
    ZH = "zh-CN"
    EN = "en"


class MenuItem(StrEnum):
    MENU = "menu"
    PROFILE = "profile"
    FAMILY = "family"
    LANGUAGE = "language"
    HELP = "help"
    TIPS = "tips"
    BOOK = "book"
    APPOINTMENTS = "appointments"
    PLAN = "plan"


class ProfileField(StrEnum):
    NAME = "name"
    BIRTH_YEAR = "birth_year"
    SEX = "sex"
    CONDITIONS = "conditions"
    LANGUAGE = "language"
    DOCTOR = "doctor"


class MemberField(StrEnum):
    NAME = "name"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    CONDITIONS = "conditions"


class FamilyAction(StrEnum):
    LIST = "list"
    ADD = "add"
    OPEN = "open"
    REMOVE = "remove"
    REMOVE_CONFIRM = "rm_yes"


class LangPickCD(CallbackData, prefix="lang"):
    lang: Lang


class ConsentCD(CallbackData, prefix="consent"):
    agree: bool


class RosterMatchCD(CallbackData, prefix="rmatch"):
    """The resident's answer to "is this record yours?" (the record's id stays server-side)."""

    yes: bool


class SexPickCD(CallbackData, prefix="sex"):
    sex: Sex


class ConditionToggleCD(CallbackData, prefix="cond"):
    condition: Condition


class ConditionsDoneCD(CallbackData, prefix="conddone"):
    none: bool = False


class DoctorPickCD(CallbackData, prefix="doc"):
    doctor_id: Num


class DoctorPageCD(CallbackData, prefix="docpg"):
    page: Num


class DoctorLaterCD(CallbackData, prefix="doclater"):
    pass


class MenuCD(CallbackData, prefix="menu"):
    item: MenuItem


class ProfileEditCD(CallbackData, prefix="pedit"):
    field: ProfileField


class FamilyCD(CallbackData, prefix="fam"):
    action: FamilyAction
    member_id: Num = 0


class MemberEditCD(CallbackData, prefix="medit"):
    member_id: Num
    field: MemberField


class RelationPickCD(CallbackData, prefix="rel"):
    relation: Relation


class MemberConsentCD(CallbackData, prefix="mconsent"):
    agree: bool


class CancelCD(CallbackData, prefix="cancel"):
    pass


class TipsAction(StrEnum):
    OPEN = "open"
    MORE = "more"  # "More tips" under a tip: the same screen, in a new message
    PAUSE = "pause"
    RESUME = "resume"
    TOPICS = "topics"
    QUIET = "quiet"


class TipsCD(CallbackData, prefix="tips"):
    action: TipsAction


class TopicToggleCD(CallbackData, prefix="topic"):
    topic: Topic


class QuietHoursCD(CallbackData, prefix="quiet"):
    start: Num
    end: Num


class TipFeedbackCD(CallbackData, prefix="fb"):
    outbox_id: Num
    helpful: bool


class TipActionCD(CallbackData, prefix="tipact"):
    action: Action
    service: str = ""  # a ServiceKind value for "Book": which services to offer


class TipMoreCD(CallbackData, prefix="tipmore"):
    outbox_id: Num


class BookServiceCD(CallbackData, prefix="bksv"):
    service_id: Num


class BookPersonCD(CallbackData, prefix="bkpp"):
    service_id: Num
    member_id: Num = 0  # 0 = the resident themself


class BookDayCD(CallbackData, prefix="bkdy"):
    service_id: Num
    member_id: Num
    day: Ymd  # local
    resched: Num = 0  # the appointment being moved, if any


class BookSlotCD(CallbackData, prefix="bksl"):
    slot_id: Num
    member_id: Num
    resched: Num = 0


class BookConfirmCD(CallbackData, prefix="bkok"):
    slot_id: Num
    member_id: Num
    resched: Num = 0


class WaitlistJoinCD(CallbackData, prefix="wait"):
    slot_id: Num
    member_id: Num


class OfferAcceptCD(CallbackData, prefix="offer"):
    waitlist_id: Num


class ApptAction(StrEnum):
    OPEN = "open"
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"
    RESCHEDULE = "resched"
    ICS = "ics"
    CONFIRM = "confirm"


class ApptCD(CallbackData, prefix="appt"):
    action: ApptAction
    appointment_id: Num


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


# --- care plans -----------------------------------------------------------------------------


class CareAction(StrEnum):
    SNOOZE = "snooze"
    DONE = "done"
    OPEN = "open"  # one item of a household card, as its own reminder


class CareItemCD(CallbackData, prefix="care"):
    """A resident's button on a care-plan reminder; the item is its rule, person and due day."""

    action: CareAction
    rule: str
    member_id: Num = 0  # 0 = the resident themself
    due: Ymd


class CareRecordCD(CallbackData, prefix="carerec"):
    """Opens a doctor's care record of one of their residents (or a family member)."""

    resident_id: Num
    member_id: Num = 0


class CareDoneCD(CallbackData, prefix="caredone"):
    resident_id: Num
    member_id: Num
    rule: str
    # A follow-up's finding: "" (not asked), "controlled" or "uncontrolled".
    outcome: str = ""


class CareUndoCD(CallbackData, prefix="careundo"):
    """撤销 under "Recorded: … done today": takes that record back (a few minutes only)."""

    resident_id: Num
    member_id: Num
    rule: str


class CareRxCD(CallbackData, prefix="carerx"):
    resident_id: Num
    member_id: Num
    weeks: Num


class CareNudgeCD(CallbackData, prefix="nudge"):
    resident_id: Num


class DigestChoice(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class DigestCD(CallbackData, prefix="digest"):
    frequency: DigestChoice


# --- privacy and data rights ---------------------------------------------------------------


class PrivacyAction(StrEnum):
    OPEN = "open"
    NOTICE = "notice"
    AGREE = "agree"
    WITHDRAW = "withdraw"
    WITHDRAW_YES = "withdraw_yes"
    EXPORT = "export"
    FORGET = "forget"
    FORGET_YES = "forget_yes"
    KEEP = "keep"  # "No, keep my data" under /forget typed: back to the chat, not to /privacy


class PrivacyCD(CallbackData, prefix="priv"):
    action: PrivacyAction


class TakeoverLinkCD(CallbackData, prefix="tkolink"):
    member_id: Num


class TakeoverConsentCD(CallbackData, prefix="tkoyes"):
    agree: bool


# --- health points ---------------------------------------------------------------------------


class PointsAction(StrEnum):
    OPEN = "open"
    CATALOGUE = "catalogue"


class PointsCD(CallbackData, prefix="pts"):
    action: PointsAction


class RewardCD(CallbackData, prefix="rwd"):
    reward_id: Num
    confirm: bool = False


class VoucherAction(StrEnum):
    OPEN = "open"
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"


class VoucherCD(CallbackData, prefix="vch"):
    action: VoucherAction
    voucher_id: Num


class LectureCD(CallbackData, prefix="lect"):
    """The doctor's entry to recording a resident's health-lecture attendance."""

    resident_id: Num


class LectureConfirmCD(CallbackData, prefix="lectok"):
    resident_id: Num


class QuizCD(CallbackData, prefix="quiz"):
    outbox_id: Num


class QuizAnswerCD(CallbackData, prefix="quizans"):
    outbox_id: Num
    option: Num


# --- doctor console ---------------------------------------------------------------------------


class ResidentsCD(CallbackData, prefix="dres"):
    """A page of the doctor's resident list; filters travel with it ("" = any)."""

    page: Num = 0
    cond: str = ""
    age: str = ""


class ResidentCardCD(CallbackData, prefix="dcard"):
    resident_id: Num


class ResidentMessageCD(CallbackData, prefix="dmsg"):
    resident_id: Num


class AskDoctorCD(CallbackData, prefix="ask"):
    pass


class DraftStep(StrEnum):
    OPEN = "open"  # "send this to my family doctor" under a typed message
    SEND = "send"  # confirmed


class AskDraftCD(CallbackData, prefix="askdraft"):
    """The typed text itself waits in the conversation data (it can be 4,096 characters)."""

    step: DraftStep


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


class ReadingStep(StrEnum):
    START = "start"  # /reading: whose reading
    PERSON = "person"  # a person chosen: what was measured
    KIND = "kind"  # what was measured: type the value
    EARLIER = "earlier"  # measured earlier today: pick the hour
    AT = "at"  # the hour picked
    LIST = "list"  # /readings: whose readings
    SHOW = "show"  # the readings of a person
    REMIND = "remind"  # reminders to measure: the choices


class ReadingKindChoice(StrEnum):
    BP = "bp"
    FASTING = "fasting"
    POST_MEAL = "post_meal"
    RANDOM = "random"


class ReadingCD(CallbackData, prefix="rdg"):
    step: ReadingStep
    member_id: Num = 0  # 0: the resident themself
    kind: ReadingKindChoice | None = None
    hour: Annotated[int, Field(ge=-1, le=23)] = -1


class ReminderChoice(StrEnum):
    MORNING_EVENING = "7,19"
    MORNING = "7"
    EVENING = "19"
    OFF = "off"


class ReadingReminderCD(CallbackData, prefix="rdgrem"):
    choice: ReminderChoice


class DoctorAlertsCD(CallbackData, prefix="dalert"):
    all_hours: bool


class DoctorReadingsCD(CallbackData, prefix="drdg"):
    resident_id: Num
    # A care-plan rule id: record that follow-up as done by reviewing the home readings.
    review: Annotated[str, Field(max_length=16)] = ""
