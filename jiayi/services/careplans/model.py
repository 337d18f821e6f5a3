"""What a care plan is made of: the people it is for (`Person`, their `Pregnancy`), the items
they are due (`CareItem`) and their states, where a record came from (`Source`), and the push
kinds and audit actions of care plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from jiayi.content.careplans import Rule
from jiayi.services.people import person_key
from jiayi.services.push import PushKind
from jiayi.services.push import care as push
from jiayi.storage.records import Condition, Sex

KIND_CARE_REMINDER = PushKind.CARE_REMINDER
KIND_CARE_NUDGE = PushKind.CARE_NUDGE
KIND_CARE_DIGEST = PushKind.CARE_DIGEST
ADULT_MONTHS = 18 * 12


# Weeks of pregnancy are counted from the last period: the expected delivery is at 40 weeks.
PREGNANCY_DAYS = 280


class VaccineAnswer(StrEnum):
    """The parent's answer for one vaccine of the vaccination record (预防接种证)."""

    DONE = "done"  # every dose due by now was given
    NOT_DONE = "not_done"
    UNKNOWN = "unknown"  # don't know: check the certificate


class ItemState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"  # inside its window, not yet late
    OVERDUE = "overdue"
    # A child's vaccine dose past its date that the parent has not confirmed from the
    # vaccination certificate yet: shown as "check the 预防接种证", never as overdue.
    CHECK_RECORD = "check_record"


# The care-plan rule whose completion is the "annual health assessment" of the points rules.
ASSESSMENT_RULE = "checkup_65"


class Source(StrEnum):
    ATTENDED = "attended"
    DOCTOR = "doctor"
    ELSEWHERE = "elsewhere"
    RECORD = "record"  # the parent's vaccination record: a dose given per schedule
    # The doctor reviewed the person's home readings instead of seeing them in person.
    HOME_READINGS = "readings"  # care_records.source holds 12 characters


class Outcome(StrEnum):
    """How the doctor found a follow-up."""

    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"


@dataclass(frozen=True, slots=True)
class Pregnancy:
    """The expected delivery date, and the actual one once recorded."""

    expected_on: date
    delivered_on: date | None = None

    @property
    def starts_on(self) -> date:
        """The first day of the last period, from which weeks of pregnancy are counted."""
        return self.expected_on - timedelta(days=PREGNANCY_DAYS)

    @property
    def delivery(self) -> date:
        return self.delivered_on or self.expected_on


@dataclass(frozen=True, slots=True)
class Person:
    resident_id: int
    member_id: int | None
    name: str
    birth: date | None
    conditions: frozenset[Condition]
    enrolled_on: date
    has_contract: bool = False
    sex: Sex | None = None
    pregnancy: Pregnancy | None = None
    # Answers to the vaccination-record question: rule id → VaccineAnswer value.
    record: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return person_key(self.resident_id, self.member_id)


@dataclass(frozen=True, slots=True)
class CareItem:
    rule: Rule
    person: Person
    due: date
    opens: date  # the reminder window opens
    late_on: date  # the "late" reminder goes out
    dose: int | None = None  # 1-based, for a series

    def state(self, today: date) -> ItemState:
        if today < self.opens:
            return ItemState.UPCOMING
        return ItemState.OVERDUE if today > self.due else ItemState.DUE

    def step(self, today: date) -> str | None:
        """The reminder step reached today, if any."""
        if today >= self.late_on and today > self.due:
            return "late"
        if today >= self.opens:
            return "open"
        return None

    @property
    def prefix(self) -> str:
        return reminder_prefix(self.person.key, self.rule.id)


def reminder_prefix(person_key: str, rule_id: str) -> str:
    return push.item_prefix(person_key, rule_id)
