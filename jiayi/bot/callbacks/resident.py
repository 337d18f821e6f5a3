"""Buttons residents press: sign-up, menu, profile, family, tips, booking, privacy, points,
questions to the doctor and home readings."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from jiayi.bot.callbacks.fields import Lang, Num, Ymd
from jiayi.services.family import Relation
from jiayi.services.pushes import Action, Topic
from jiayi.services.residents import Condition, Sex


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


class AskDoctorCD(CallbackData, prefix="ask"):
    pass


class DraftStep(StrEnum):
    OPEN = "open"  # "send this to my family doctor" under a typed message
    SEND = "send"  # confirmed


class AskDraftCD(CallbackData, prefix="askdraft"):
    """The typed text itself waits in the conversation data (it can be 4,096 characters)."""

    step: DraftStep


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
