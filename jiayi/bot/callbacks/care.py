"""Care-plan buttons: a resident's reminder (snooze, done, record) and the doctor's actions
on a resident's plan."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from jiayi.bot.callbacks.fields import Num, Ymd


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
