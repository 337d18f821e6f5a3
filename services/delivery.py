"""The one dispatcher every push goes through: claim, check, render, send, record.

Telegram is reached through the `Sender` port (implemented in bot/), so this module knows
nothing of aiogram. Sending happens outside any database transaction: rows are claimed with a
lease in one short transaction, sent, and the results recorded in another. A crash leaves
claimed rows to be claimed again when their lease runs out (at-least-once delivery).
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiolimiter import AsyncLimiter
from content.tips import Action, Library
from storage.records import Delivery, DeliveryResult, OutboxStatus
from storage.uow import UnitOfWork

from services.clock import Clock
from services.ratelimit import ChatPacer, RateLimiter
from services.tip_parts import TipParts, render_tip

log = logging.getLogger(__name__)


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


def in_quiet_hours(local: datetime, start: int, end: int) -> bool:
    hour = local.hour
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def quiet_hours_end(local: datetime, start: int, end: int, zone: ZoneInfo) -> datetime:
    """The next local `end` o'clock after `local` (a push delayed by quiet hours goes then)."""
    candidate = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.replace(tzinfo=zone)


Renderer = Callable[[Delivery], OutgoingMessage]


@dataclass
class _ChatPacer:
    """At most one message per chat per interval, across runs of the dispatcher."""

    interval: float
    last: dict[int, float] = field(default_factory=dict)
    locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    async def wait(self, chat_id: int) -> None:
        previous = self.last.get(chat_id)
        if previous is not None:
            delay = previous + self.interval - _time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    def sent(self, chat_id: int) -> None:
        now = _time.monotonic()
        self.last[chat_id] = now
        if len(self.last) > 10_000:
            stale = [c for c, t in self.last.items() if now - t > self.interval]
            for chat in stale:
                self.last.pop(chat, None)
                self.locks.pop(chat, None)


class OutboxDispatcher:
    """Drains the outbox. Safe to run in several processes at once."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        sender: Sender,
        library: Library,
        clock: Clock,
        zone: ZoneInfo,
        settings: DispatchSettings | None = None,
        limiter: RateLimiter | None = None,
        pacer: ChatPacer | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._library = library
        self._clock = clock
        self._zone = zone
        self.settings = s = settings or DispatchSettings()
        # One token, refilled every 1/rate s: sends are evenly spaced, so no one-second window
        # ever holds more than `rate` messages (a bucket of `rate` tokens would allow a burst
        # of twice that). Rate 0 (no limit) is only for measuring capacity in benchmarks/.
        # Several workers pass Redis-backed ones (services/ratelimit.py) to share both.
        self._limiter: RateLimiter | None = limiter or (
            AsyncLimiter(1, 1 / s.rate_per_second) if s.rate_per_second > 0 else None
        )
        self._pacer: ChatPacer = pacer or _ChatPacer(s.per_chat_interval)
        self._flood_until = 0.0
        self._renderers: dict[str, Renderer] = {"tip": self._render_tip}
        self._despite_pause: set[str] = set()
        self._run_lock = asyncio.Lock()

    def register_renderer(
        self, kind: str, renderer: Renderer, *, despite_pause: bool = False
    ) -> None:
        """Later push kinds (reminders, broadcasts) plug their rendering in here.

        `despite_pause`: a conversation rather than a push (a doctor's answer to the
        resident's own question), so pausing pushes doesn't hold it back.
        """
        self._renderers[kind] = renderer
        if despite_pause:
            self._despite_pause.add(kind)

    async def run_once(self) -> DispatchReport:
        """Sends everything due now, batch by batch, until nothing is due."""
        report = DispatchReport()
        async with self._run_lock:
            for _ in range(self.settings.max_batches_per_run):
                batch = await self._claim()
                if not batch:
                    break
                report.add(await self._process(batch))
        if report.sent or report.failed or report.blocked:
            log.info(
                "outbox: sent=%d blocked=%d failed=%d retried=%d deferred=%d skipped=%d",
                report.sent,
                report.blocked,
                report.failed,
                report.retried,
                report.deferred,
                report.skipped,
            )
        return report

    async def _claim(self) -> list[Delivery]:
        async with self._uow_factory() as uow:
            await uow.begin_write()
            batch = await uow.outbox.claim(
                now=self._clock.now(), lease=self.settings.lease, limit=self.settings.batch_size
            )
            await uow.commit()
        return batch

    async def _process(self, batch: list[Delivery]) -> DispatchReport:
        report = DispatchReport()
        results: list[DeliveryResult] = []
        by_chat: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in batch:
            decided = self._decide(delivery)
            if decided is not None:
                results.append(decided)
                if decided.status is OutboxStatus.SKIPPED:
                    report.skipped += 1
                else:
                    report.deferred += 1
            else:
                by_chat[delivery.telegram_user_id].append(delivery)
        semaphore = asyncio.Semaphore(self.settings.concurrency)

        async def send_chat(deliveries: list[Delivery]) -> list[DeliveryResult]:
            chat_results: list[DeliveryResult] = []
            async with semaphore:
                for d in deliveries:
                    if any(r.status is OutboxStatus.BLOCKED for r in chat_results):
                        # One 403 is enough: nothing more is tried for this resident.
                        chat_results.append(
                            DeliveryResult(
                                d.outbox_id,
                                d.resident_id,
                                OutboxStatus.SKIPPED,
                                error="unreachable",
                                count_attempt=False,
                            )
                        )
                        continue
                    chat_results.append(await self._send_one(d))
            return chat_results

        for chat_results in await asyncio.gather(*(send_chat(ds) for ds in by_chat.values())):
            for result in chat_results:
                results.append(result)
                if result.status is OutboxStatus.SENT:
                    report.sent += 1
                elif result.status is OutboxStatus.BLOCKED:
                    report.blocked += 1
                elif result.status is OutboxStatus.FAILED:
                    report.failed += 1
                elif result.status is OutboxStatus.SKIPPED:
                    report.skipped += 1
                else:
                    report.retried += 1
        async with self._uow_factory() as uow:
            await uow.begin_write()
            await uow.outbox.record(results, self._clock.now())
            await uow.commit()
        return report

    def _decide(self, d: Delivery) -> DeliveryResult | None:
        """Skip what is no longer wanted; delay what falls in quiet hours. None = send now."""
        # A pause stops pushes but not a conversation; withdrawn consent stops everything.
        paused = d.withdrawn or (d.paused and d.kind not in self._despite_pause)
        if not d.reachable or paused:
            return DeliveryResult(
                d.outbox_id,
                d.resident_id,
                OutboxStatus.SKIPPED,
                error="paused" if paused else "unreachable",
                count_attempt=False,
            )
        if d.kind == "tip" and d.tip_id is not None:
            tip = self._library.tips.get(d.tip_id)
            if tip is None:
                return DeliveryResult(
                    d.outbox_id,
                    d.resident_id,
                    OutboxStatus.SKIPPED,
                    error="tip withdrawn from the library",
                    count_attempt=False,
                )
            if tip.topic.value in d.opted_out_topics:
                return DeliveryResult(
                    d.outbox_id,
                    d.resident_id,
                    OutboxStatus.SKIPPED,
                    error="topic opted out",
                    count_attempt=False,
                )
        local = self._clock.now().astimezone(self._zone)
        if in_quiet_hours(local, d.quiet_start, d.quiet_end):
            resume = quiet_hours_end(
                local.replace(tzinfo=None), d.quiet_start, d.quiet_end, self._zone
            )
            return DeliveryResult(
                d.outbox_id,
                d.resident_id,
                OutboxStatus.PENDING,
                error=None,
                retry_at=resume,
                count_attempt=False,
            )
        return None

    async def _send_one(self, d: Delivery) -> DeliveryResult:
        try:
            message = self._renderers[d.kind](d)
        except Exception as error:  # a broken template must not stop the queue
            log.exception("outbox %s: cannot render %s", d.outbox_id, d.kind)
            return DeliveryResult(
                d.outbox_id,
                d.resident_id,
                OutboxStatus.FAILED,
                error=f"render: {type(error).__name__}",
            )
        async with self._pacer.locks[d.telegram_user_id]:
            for _ in range(5):
                await self._pacer.wait(d.telegram_user_id)
                await self._wait_flood()
                if self._limiter is not None:
                    await self._limiter.acquire()
                result = await self._sender.send(message)
                self._pacer.sent(d.telegram_user_id)
                if result.outcome is not Outcome.RETRY_AFTER:
                    break
                # Flood control applies to the whole bot: everyone waits, then this one retries.
                self._flood_until = max(self._flood_until, _time.monotonic() + result.retry_after)
            return self._result(d, result)

    async def _wait_flood(self) -> None:
        delay = self._flood_until - _time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _result(self, d: Delivery, result: SendResult) -> DeliveryResult:
        if result.outcome is Outcome.SENT:
            return DeliveryResult(
                d.outbox_id, d.resident_id, OutboxStatus.SENT, message_id=result.message_id
            )
        if result.outcome is Outcome.BLOCKED:
            return DeliveryResult(
                d.outbox_id, d.resident_id, OutboxStatus.BLOCKED, error=result.error
            )
        if result.outcome is Outcome.PERMANENT or d.attempts + 1 >= self.settings.max_attempts:
            return DeliveryResult(
                d.outbox_id, d.resident_id, OutboxStatus.FAILED, error=result.error
            )
        backoff = min(self.settings.base_backoff * (2**d.attempts), self.settings.max_backoff)
        return DeliveryResult(
            d.outbox_id,
            d.resident_id,
            OutboxStatus.PENDING,
            error=result.error,
            retry_at=self._clock.now() + backoff,
        )

    def _render_tip(self, d: Delivery) -> OutgoingMessage:
        assert d.tip_id is not None
        tip = self._library.get(d.tip_id)
        today = self._clock.now().astimezone(self._zone).date()
        text, more = render_tip(
            self._library,
            TipParts.from_payload(tip.id, d.payload),
            d.locale,
            full=False,
            name=d.display_name,
            age=today.year - d.birth_year if d.birth_year else None,
            doctor=d.doctor_name,
            conditions=sorted(d.conditions),
        )
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=text,
            tip_id=tip.id,
            action=tip.action,
            quiz=tip.quiz is not None,
            data={"more": more, "service": tip.service},
        )
