"""Plain, frozen records returned by repositories, and the enums of the domain vocabulary.

Repositories never hand out ORM objects: a record cannot lazy-load, cannot be flushed by
accident, and survives the end of its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Condition(StrEnum):
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes_t2"
    HYPERLIPIDAEMIA = "hyperlipidaemia"
    PREGNANT = "pregnant"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Relation(StrEnum):
    CHILD = "child"
    PARENT = "parent"
    SPOUSE = "spouse"


class ConsentBasis(StrEnum):
    """On whose authority a family member's health data is processed (PIPL art. 31)."""

    GUARDIAN = "guardian"  # a parent or guardian for a child under 14
    AUTHORISED = "authorised"  # an adult who asked the resident to manage their care


@dataclass(frozen=True, slots=True)
class CentreRecord:
    id: int
    code: str
    name: str
    name_en: str
    timezone: str


@dataclass(frozen=True, slots=True)
class DoctorRecord:
    id: int
    centre_id: int
    centre_name: str
    centre_name_en: str
    display_name: str
    link_code: str
    telegram_user_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class ResidentRecord:
    id: int
    telegram_user_id: int
    display_name: str
    locale: str
    birth_year: int | None
    sex: Sex | None
    conditions: frozenset[Condition]
    consent_version: str
    consented_at: datetime
    onboarded_at: datetime | None
    reachable: bool


@dataclass(frozen=True, slots=True)
class FamilyMemberRecord:
    id: int
    resident_id: int
    display_name: str
    relation: Relation
    birth_date: date
    sex: Sex | None
    conditions: frozenset[Condition]
    consent_basis: ConsentBasis
    consent_recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ContractRecord:
    id: int
    resident_id: int
    doctor_id: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class DoctorInviteRecord:
    id: int
    doctor_id: int
    expires_at: datetime
    used_at: datetime | None


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or a permanent error
    BLOCKED = "blocked"  # the resident blocked the bot; they are marked unreachable
    SKIPPED = "skipped"  # no longer wanted: paused, opted out, consent or reachability gone
    CANCELLED = "cancelled"  # withdrawn before sending (e.g. an appointment moved)


@dataclass(frozen=True, slots=True)
class AudienceFilter:
    """Who a planned push goes to, as SQL can test it. Empty filter = everyone."""

    min_age: int | None = None
    condition: Condition | None = None
    child_under_years: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row with what the dispatcher needs to decide, render and send."""

    outbox_id: int
    kind: str
    tip_id: str | None
    payload: str
    attempts: int
    resident_id: int
    telegram_user_id: int
    locale: str
    display_name: str
    birth_year: int | None
    reachable: bool
    paused: bool
    quiet_start: int
    quiet_end: int
    doctor_name: str | None
    opted_out_topics: frozenset[str]
    conditions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outbox_id: int
    resident_id: int
    status: OutboxStatus
    error: str | None = None
    message_id: int | None = None
    retry_at: datetime | None = None
    count_attempt: bool = True


@dataclass(frozen=True, slots=True)
class PushPreferences:
    paused: bool
    quiet_start: int
    quiet_end: int
    opted_out_topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class CoverageRow:
    resident_id: int
    doctor_id: int | None
    doctor_name: str | None
    delivered: int
    reachable: bool
    paused: bool
