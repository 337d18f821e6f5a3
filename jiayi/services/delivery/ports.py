"""What the dispatcher exchanges with its Sender port and its caller: the message to send, the
result Telegram gave, the dispatcher's settings and a run's report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from jiayi.content.tips import Action
from jiayi.services.push import PushPayload
from jiayi.services.settings import LOCALES
from jiayi.storage.records import Delivery, DeliveryResult, OutboxStatus


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: blocked by the user or account deactivated
    RETRY_AFTER = "retry_after"  # 429: flood control
    TRANSIENT = "transient"  # network error, 5xx: retry with backoff
    PERMANENT = "permanent"  # 400 and other errors that won't fix themselves


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    retry_after: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered push, ready for the Sender to add its buttons and send."""

    outbox_id: int
    chat_id: int
    locale: str
    kind: str
    text: str
    tip_id: str | None = None
    action: Action | None = None
    # What the message's buttons act on: an appointment for reminders, a waitlist entry for
    # seat offers, the service for a closure notice.
    ref_id: int | None = None
    member_id: int | None = None
    # For kinds whose buttons need more than one id (care-plan reminders, doctors' digests).
    data: Mapping[str, Any] | None = None
    # The tip has a one-question quiz (health points for the right answer).
    quiz: bool = False
    # A Telegram file id: the message goes as a photo with the text as its caption.
    photo: str | None = None
    # The row's payload, decoded: the Sender chooses the buttons from it.
    payload: PushPayload | None = None


def staff_locale(d: Delivery, default: str) -> str:
    """The language of a push to a doctor: theirs if saved and supported, else the centre's."""
    return d.locale if d.locale in LOCALES else default


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> SendResult: ...


@dataclass(frozen=True)
class DispatchSettings:
    rate_per_second: float = 25.0  # below Telegram's ~30/s, leaving room for live replies
    per_chat_interval: float = 1.0
    lease: timedelta = timedelta(minutes=5)
    batch_size: int = 200
    concurrency: int = 32
    max_attempts: int = 5
    base_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)
    max_batches_per_run: int = 50
    # How long the group commit waits for more results before each write (seconds).
    record_window: float = 0.01


@dataclass
class DispatchReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0
    skipped: int = 0

    def add(self, other: DispatchReport) -> None:
        for name in ("sent", "blocked", "failed", "retried", "deferred", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def tally(report: DispatchReport, result: DeliveryResult, *, deferred: bool = False) -> None:
    status = result.status
    if status is OutboxStatus.SENT:
        report.sent += 1
    elif status is OutboxStatus.BLOCKED:
        report.blocked += 1
    elif status is OutboxStatus.FAILED:
        report.failed += 1
    elif status is OutboxStatus.SKIPPED:
        report.skipped += 1
    elif deferred:
        report.deferred += 1
    else:
        report.retried += 1


Renderer = Callable[[Delivery], OutgoingMessage]
