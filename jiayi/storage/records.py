"""Plain, frozen records returned by repositories, and the enums of the domain vocabulary.

Repositories never hand out ORM objects: a record cannot lazy-load, cannot be flushed by
accident, and survives the end of its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum


class Condition(StrEnum):
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes_t2"
    HYPERLIPIDAEMIA = "hyperlipidaemia"
    PREGNANT = "pregnant"


class PregnancyStage(StrEnum):
    """Derived from the expected date: pregnant up to it, postpartum for a year after."""

    PREGNANT = "pregnant"
    POSTPARTUM = "postpartum"


POSTPARTUM_DAYS = 365


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
    phone: str | None = None
    address: str | None = None


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
    consent_withdrawn_at: datetime | None = None
    pregnancy_due: date | None = None


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
    consented_by_resident_id: int | None = None
    consent_version: str | None = None


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
    # A parent or spouse in the household at least this old (the resident is their carer).
    carer_of_age: int | None = None
    pregnancy: PregnancyStage | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row with what the dispatcher needs to decide, render and send."""

    outbox_id: int
    kind: str
    tip_id: str | None
    payload: str
    attempts: int
    resident_id: int | None  # None for a push addressed to a doctor (`doctor_id`)
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
    doctor_id: int | None = None
    withdrawn: bool = False
    # A doctor who asked for urgent alerts at any hour (quiet hours don't hold those back).
    doctor_all_hours: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outbox_id: int
    resident_id: int | None
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


# --- appointment booking -----------------------------------------------------------------


class ServiceKind(StrEnum):
    VACCINATION = "vaccination"
    FOLLOW_UP = "follow_up"
    CHECKUP = "checkup"
    REFERRAL = "referral"
    TCM = "tcm"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED_RESIDENT = "cancelled_resident"
    CANCELLED_CENTRE = "cancelled_centre"


class SlotStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a seat is held for them until `offered_until`
    ACCEPTED = "accepted"
    LAPSED = "lapsed"  # the hold ran out, or the slot was closed
    LEFT = "left"


class AppointmentEventKind(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    # A doctor took back their attendance mark within the undo window (back to booked).
    UNDONE = "undone"


class Actor(StrEnum):
    RESIDENT = "resident"
    DOCTOR = "doctor"
    CENTRE = "centre"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class BookableServiceRecord:
    id: int
    centre_id: int
    code: str
    kind: ServiceKind
    name_zh: str
    name_en: str
    min_notice: timedelta
    horizon_days: int
    cancel_cutoff: timedelta
    min_age_months: int | None
    max_age_months: int | None
    requires_referral: bool
    sex: Sex | None = None  # only people recorded with this sex (antenatal care, HPV…)


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    id: int
    service_id: int
    centre_id: int
    doctor_id: int | None
    weekday: int  # 0 = Monday … 6 = Sunday
    start_time: time  # local wall-clock time at the centre
    end_time: time
    slot_minutes: int
    capacity: int
    on_makeup_workdays: bool


@dataclass(frozen=True, slots=True)
class SlotRecord:
    id: int
    service_id: int
    doctor_id: int | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    status: SlotStatus

    @property
    def free(self) -> int:
        if self.status is not SlotStatus.OPEN:
            return 0
        return max(self.capacity - self.booked, 0)


@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    id: int
    slot_id: int
    service_id: int
    service_code: str
    service_name_zh: str
    service_name_en: str
    starts_at: datetime
    ends_at: datetime
    resident_id: int
    family_member_id: int | None
    person_name: str
    status: AppointmentStatus
    check_in_code: str
    doctor_name: str | None
    centre_name: str
    centre_name_en: str
    centre_phone: str | None = None
    centre_address: str | None = None


@dataclass(frozen=True, slots=True)
class PersonChoice:
    member_id: int | None  # None = the resident themself
    name: str


@dataclass(frozen=True, slots=True)
class DayAvailability:
    day: date  # the centre's local date
    free: int


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    id: int
    slot_id: int
    position: int  # 1 = next in line (an entry holding an offer counts as first)
    status: WaitlistStatus
    offered_until: datetime | None


@dataclass(frozen=True, slots=True)
class WaitlistRow:
    """A waitlist entry with who it is for, as the booking services need it."""

    id: int
    slot_id: int
    service_id: int
    resident_id: int
    family_member_id: int | None
    person_key: str
    person_name: str
    status: WaitlistStatus
    offered_until: datetime | None


# --- health points ---------------------------------------------------------------------------


class EntryKind(StrEnum):
    EARN = "earn"
    REVERSAL = "reversal"
    SPEND = "spend"
    REFUND = "refund"
    EXPIRY = "expiry"


class VoucherStatus(StrEnum):
    ACTIVE = "active"
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PointsEntryRecord:
    id: int
    resident_id: int
    kind: EntryKind
    delta: int
    reason: str
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PointsLotRecord:
    id: int
    resident_id: int
    entry_id: int
    amount: int
    remaining: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RewardRecord:
    id: int
    centre_id: int
    code: str
    name_zh: str
    name_en: str
    cost: int
    stock: int
    valid_days: int
    active: bool


@dataclass(frozen=True, slots=True)
class VoucherRecord:
    id: int
    resident_id: int
    reward_id: int
    centre_id: int
    reward_code: str
    reward_name_zh: str
    reward_name_en: str
    code: str
    cost: int
    spend_entry_id: int
    status: VoucherStatus
    valid_until: datetime
    created_at: datetime
    closed_at: datetime | None
    resident_name: str


# --- doctor console ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One access to a resident's data: who, what kind of access, when. No contents."""

    id: int
    actor_doctor_id: int | None
    actor_doctor_name: str | None
    resident_id: int
    action: str
    ref_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ResidentFilter:
    """Which residents a doctor lists or messages. Empty = all in scope.

    Within a group the values are alternatives (hypertension OR diabetes; 45–64 OR 65+);
    groups combine with AND ("hypertension, 65+").
    """

    conditions: frozenset[Condition] = frozenset()
    # (min age, max age or None), counted from the birth year like tips do.
    age_bands: tuple[tuple[int, int | None], ...] = ()
    child_under_years: int | None = None
    name_contains: str | None = None
    # Set by registry segments resolved outside SQL (e.g. overdue care items).
    resident_ids: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class ResidentListItem:
    id: int
    display_name: str
    birth_year: int | None
    locale: str
    conditions: frozenset[Condition]


@dataclass(frozen=True, slots=True)
class AudienceMember:
    resident_id: int
    locale: str


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    doctor_id: int | None
    owner_user_id: int
    owner_locale: str
    texts: dict[str, str]
    photo_file_id: str | None
    segments: tuple[str, ...]
    audience_size: int
    starts_at: datetime
    spread_minutes: int
    status: str
    status_message_id: int | None
    created_at: datetime
    cancelled_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    id: int
    resident_id: int
    resident_name: str
    resident_locale: str
    doctor_id: int
    body: str
    asked_at: datetime
    answered_at: datetime | None
