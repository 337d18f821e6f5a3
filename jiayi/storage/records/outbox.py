"""Records of the outbox: statuses, audiences, deliveries and their results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jiayi.storage.records.people import Condition, PregnancyStage


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
