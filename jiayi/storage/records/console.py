"""Records of the doctor console: audit entries, resident lists, broadcasts, questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jiayi.storage.records.people import Condition


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
