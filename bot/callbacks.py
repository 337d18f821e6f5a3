"""Typed callback data for every inline button. Ids and enum values only (64-byte limit)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from services.family import Relation
from services.pushes import Action, Topic
from services.residents import Condition, Sex


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


class SexPickCD(CallbackData, prefix="sex"):
    sex: Sex


class ConditionToggleCD(CallbackData, prefix="cond"):
    condition: Condition


class ConditionsDoneCD(CallbackData, prefix="conddone"):
    none: bool = False


class DoctorPickCD(CallbackData, prefix="doc"):
    doctor_id: int


class DoctorPageCD(CallbackData, prefix="docpg"):
    page: int


class DoctorLaterCD(CallbackData, prefix="doclater"):
    pass


class MenuCD(CallbackData, prefix="menu"):
    item: MenuItem


class ProfileEditCD(CallbackData, prefix="pedit"):
    field: ProfileField


class FamilyCD(CallbackData, prefix="fam"):
    action: FamilyAction
    member_id: int = 0


class MemberEditCD(CallbackData, prefix="medit"):
    member_id: int
    field: MemberField


class RelationPickCD(CallbackData, prefix="rel"):
    relation: Relation


class MemberConsentCD(CallbackData, prefix="mconsent"):
    agree: bool


class CancelCD(CallbackData, prefix="cancel"):
    pass


class TipsAction(StrEnum):
    OPEN = "open"
    PAUSE = "pause"
    RESUME = "resume"
    TOPICS = "topics"
    QUIET = "quiet"


class TipsCD(CallbackData, prefix="tips"):
    action: TipsAction


class TopicToggleCD(CallbackData, prefix="topic"):
    topic: Topic


class QuietHoursCD(CallbackData, prefix="quiet"):
    start: int
    end: int


class TipFeedbackCD(CallbackData, prefix="fb"):
    outbox_id: int
    helpful: bool


class TipActionCD(CallbackData, prefix="tipact"):
    action: Action


class BookServiceCD(CallbackData, prefix="bksv"):
    service_id: int


class BookPersonCD(CallbackData, prefix="bkpp"):
    service_id: int
    member_id: int = 0  # 0 = the resident themself


class BookDayCD(CallbackData, prefix="bkdy"):
    service_id: int
    member_id: int
    day: int  # yyyymmdd, local
    resched: int = 0  # the appointment being moved, if any


class BookSlotCD(CallbackData, prefix="bksl"):
    slot_id: int
    member_id: int
    resched: int = 0


class BookConfirmCD(CallbackData, prefix="bkok"):
    slot_id: int
    member_id: int
    resched: int = 0


class WaitlistJoinCD(CallbackData, prefix="wait"):
    slot_id: int
    member_id: int


class OfferAcceptCD(CallbackData, prefix="offer"):
    waitlist_id: int


class ApptAction(StrEnum):
    OPEN = "open"
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"
    RESCHEDULE = "resched"
    ICS = "ics"
    CONFIRM = "confirm"


class ApptCD(CallbackData, prefix="appt"):
    action: ApptAction
    appointment_id: int


class AttendanceCD(CallbackData, prefix="att"):
    appointment_id: int
    attended: bool


# --- care plans -----------------------------------------------------------------------------


class CareAction(StrEnum):
    SNOOZE = "snooze"
    DONE = "done"


class CareItemCD(CallbackData, prefix="care"):
    """A resident's button on a care-plan reminder; the item is its rule, person and due day."""

    action: CareAction
    rule: str
    member_id: int = 0  # 0 = the resident themself
    due: int  # yyyymmdd


class CareRecordCD(CallbackData, prefix="carerec"):
    """Opens a doctor's care record of one of their residents (or a family member)."""

    resident_id: int
    member_id: int = 0


class CareDoneCD(CallbackData, prefix="caredone"):
    resident_id: int
    member_id: int
    rule: str
    # A follow-up's finding: "" (not asked), "controlled" or "uncontrolled".
    outcome: str = ""


class CareRxCD(CallbackData, prefix="carerx"):
    resident_id: int
    member_id: int
    weeks: int


class CareNudgeCD(CallbackData, prefix="nudge"):
    resident_id: int


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


class PrivacyCD(CallbackData, prefix="priv"):
    action: PrivacyAction


class TakeoverLinkCD(CallbackData, prefix="tkolink"):
    member_id: int


class TakeoverConsentCD(CallbackData, prefix="tkoyes"):
    agree: bool


# --- health points ---------------------------------------------------------------------------


class PointsAction(StrEnum):
    OPEN = "open"
    CATALOGUE = "catalogue"


class PointsCD(CallbackData, prefix="pts"):
    action: PointsAction


class RewardCD(CallbackData, prefix="rwd"):
    reward_id: int
    confirm: bool = False


class VoucherAction(StrEnum):
    OPEN = "open"
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"


class VoucherCD(CallbackData, prefix="vch"):
    action: VoucherAction
    voucher_id: int


class LectureCD(CallbackData, prefix="lect"):
    """The doctor's entry to recording a resident's health-lecture attendance."""

    resident_id: int


class LectureConfirmCD(CallbackData, prefix="lectok"):
    resident_id: int


class QuizCD(CallbackData, prefix="quiz"):
    outbox_id: int


class QuizAnswerCD(CallbackData, prefix="quizans"):
    outbox_id: int
    option: int


# --- doctor console ---------------------------------------------------------------------------


class ResidentsCD(CallbackData, prefix="dres"):
    """A page of the doctor's resident list; filters travel with it ("" = any)."""

    page: int = 0
    cond: str = ""
    age: str = ""


class ResidentCardCD(CallbackData, prefix="dcard"):
    resident_id: int


class ResidentMessageCD(CallbackData, prefix="dmsg"):
    resident_id: int


class AskDoctorCD(CallbackData, prefix="ask"):
    pass


class QuestionReplyCD(CallbackData, prefix="qrep"):
    question_id: int


class BcAction(StrEnum):
    ADD_SECOND = "second"
    SKIP_SECOND = "nosecond"
    AUDIENCE_DONE = "aud_done"
    SPREAD = "spread"  # value: hours (0 = burst)
    SEND_NOW = "now"
    SCHEDULE = "schedule"
    CONFIRM_SCHEDULE = "sched_ok"


class BcStepCD(CallbackData, prefix="bca"):
    action: BcAction
    value: int = 0


class BcSegmentCD(CallbackData, prefix="bcs"):
    code: str  # a segment code from services.broadcasts (no ":" in codes)


class BroadcastAction(StrEnum):
    OPEN = "open"
    REFRESH = "refresh"
    CANCEL = "cancel"


class BroadcastCD(CallbackData, prefix="bcm"):
    action: BroadcastAction
    broadcast_id: int
