"""Records and vocabulary of appointment booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from jiayi.storage.records.people import Sex


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
