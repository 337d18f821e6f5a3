"""`OutboxDispatcher`: claims due rows under a lease, renders each through its kind's renderer,
sends through the Sender port within Telegram's rate limits, records each result."""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiolimiter import AsyncLimiter

from jiayi.content.tips import Library
from jiayi.services.clock import Clock
from jiayi.services.delivery.ports import (
    DispatchReport,
    DispatchSettings,
    Outcome,
    OutgoingMessage,
    Renderer,
    Sender,
    SendResult,
    tally,
)
from jiayi.services.delivery.quiet import in_quiet_hours, quiet_hours_end
from jiayi.services.delivery.recording import LocalChatPacer, Recorder
from jiayi.services.push import PushKind
from jiayi.services.push.tip import TipPayload
from jiayi.services.ratelimit import ChatPacer, RateLimiter
from jiayi.services.tip_parts import TipParts, render_tip
from jiayi.storage.records import Delivery, DeliveryResult, OutboxStatus
from jiayi.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class OutboxDispatcher:
    """Drains the outbox. Safe to run in several processes at once.

    Delivery is at most once, with one bounded exception: a message Telegram accepted is
    recorded before its send slot starts another send, so a crash (or `SIGKILL`, or the
    database going away) between a send and its record leaves at most `concurrency` messages
    whose fate is unknown; they are sent again when their lease runs out. Claimed rows that
    were never sent are sent later, never lost.
    """

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
        self._pacer: ChatPacer = pacer or LocalChatPacer(s.per_chat_interval)
        self._flood_until = 0.0
        self._renderers: dict[str, Renderer] = {PushKind.TIP: self._render_tip}
        self._despite_pause: set[str] = set()
        self._urgent: set[str] = set()
        self._despite_quiet: set[str] = set()
        self._run_lock = asyncio.Lock()
        self._stopping = False
        # Results the database refused to store (it went away mid-batch), retried first on
        # the next run: above all "sent", so that those messages are not sent again.
        self._unrecorded: list[DeliveryResult] = []

    def register_renderer(
        self,
        kind: str,
        renderer: Renderer,
        *,
        despite_pause: bool = False,
        urgent: bool = False,
        despite_quiet: bool = False,
    ) -> None:
        """Later push kinds (reminders, broadcasts) plug their rendering in here.

        `despite_pause`: a conversation rather than a push (a doctor's answer to the
        resident's own question), so pausing pushes doesn't hold it back.
        `urgent`: an alert to a doctor that quiet hours don't hold back when the doctor asked
        for urgent alerts at any hour.
        `despite_quiet`: useless once delayed (an appointment reminder for 08:30 held until
        quiet hours end at 08:00), so quiet hours don't hold it back.
        """
        self._renderers[kind] = renderer
        if despite_pause:
            self._despite_pause.add(kind)
        if urgent:
            self._urgent.add(kind)
        if despite_quiet:
            self._despite_quiet.add(kind)

    def request_stop(self) -> None:
        """Shutdown: the run in progress starts no new send, waits for the sends in flight,
        records them, gives its unsent rows back to the queue and returns; later runs do
        nothing."""
        self._stopping = True

    @property
    def unrecorded(self) -> int:
        """Results held in memory because the database refused them (0 normally)."""
        return len(self._unrecorded)

    async def run_once(self) -> DispatchReport:
        """Sends everything due now, batch by batch, until nothing is due.

        Raises what the database raised when it cannot claim or record; results it could
        not record are kept and recorded first by the next run.
        """
        report = DispatchReport()
        async with self._run_lock:
            await self._record_leftovers()
            for _ in range(self.settings.max_batches_per_run):
                if self._stopping:
                    break
                now = self._clock.now()
                batch = await self._claim(now)
                if not batch:
                    break
                report.add(await self._process(batch, now + self.settings.lease))
        if report.sent or report.failed or report.blocked or report.retried:
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

    async def _claim(self, now: datetime) -> list[Delivery]:
        async with self._uow_factory() as uow:
            await uow.begin_write()
            batch = await uow.outbox.claim(
                now=now, lease=self.settings.lease, limit=self.settings.batch_size
            )
            await uow.commit()
        return batch

    async def _write(self, results: list[DeliveryResult], lease_until: datetime | None) -> None:
        async with self._uow_factory() as uow:
            await uow.begin_write()
            await uow.outbox.record(results, self._clock.now(), lease_until=lease_until)
            await uow.commit()

    async def _record_leftovers(self) -> None:
        if not self._unrecorded:
            return
        leftovers, self._unrecorded = self._unrecorded, []
        try:
            # Their leases may have run out: "sent" is written whoever holds the row now;
            # other results only where the row is still claimed (see OutboxRepository.record).
            await self._write(leftovers, None)
        except Exception:
            self._unrecorded = leftovers + self._unrecorded
            raise
        log.info("outbox: recorded %d result(s) kept from a database outage", len(leftovers))

    async def _process(self, batch: list[Delivery], lease_until: datetime) -> DispatchReport:
        report = DispatchReport()
        recorder = Recorder(
            lambda results: self._write(results, lease_until), self.settings.record_window
        )
        by_chat: dict[int, list[Delivery]] = defaultdict(list)
        decided: list[DeliveryResult] = []
        for delivery in batch:
            result = self._decide(delivery)
            if result is not None:
                decided.append(result)
                tally(report, result, deferred=True)
            else:
                by_chat[delivery.telegram_user_id].append(delivery)
        recorder.submit(decided)
        semaphore = asyncio.Semaphore(self.settings.concurrency)
        # Sends stop being started once this lease is this close to running out: the rows
        # left go back to the queue rather than risk another dispatcher claiming them too.
        send_until = lease_until - self.settings.lease / 5
        unsent: list[int] = []

        async def send_chat(deliveries: list[Delivery]) -> None:
            async with semaphore:
                with recorder.slot():
                    blocked = False
                    for position, d in enumerate(deliveries):
                        if self._stopping or recorder.error is not None:
                            unsent.extend(x.outbox_id for x in deliveries[position:])
                            return
                        if blocked:
                            # One 403 is enough: nothing more is tried for this resident.
                            skipped = DeliveryResult(
                                d.outbox_id,
                                d.resident_id,
                                OutboxStatus.SKIPPED,
                                error="unreachable",
                                count_attempt=False,
                            )
                            tally(report, skipped)
                            recorder.submit([skipped])
                            continue
                        result = await self._send_one(d, send_until)
                        if result is None:
                            unsent.extend(x.outbox_id for x in deliveries[position:])
                            return
                        tally(report, result)
                        blocked = result.status is OutboxStatus.BLOCKED
                        # Durable before this slot sends anything else.
                        if not await recorder.record(result):
                            unsent.extend(x.outbox_id for x in deliveries[position + 1 :])
                            return

        # Every chat's sends run to their end (none is left running unawaited), even if one
        # of them fails unexpectedly.
        outcomes = await asyncio.gather(
            *(send_chat(ds) for ds in by_chat.values()), return_exceptions=True
        )
        await recorder.close()
        if recorder.error is None and unsent:
            async with self._uow_factory() as uow:
                await uow.begin_write()
                await uow.outbox.release(unsent, lease_until=lease_until)
                await uow.commit()
        if recorder.error is not None:
            self._unrecorded.extend(recorder.unwritten)
            log.error(
                "outbox: the database refused a batch's results (%s); %d kept to record "
                "next run, %d unsent row(s) wait for their lease",
                type(recorder.error).__name__,
                len(recorder.unwritten),
                len(unsent),
            )
            raise recorder.error
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
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
        if d.kind == PushKind.TIP and d.tip_id is not None:
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
        ignore_quiet = d.kind in self._despite_quiet or (
            d.doctor_all_hours and d.kind in self._urgent
        )
        if not ignore_quiet and in_quiet_hours(local, d.quiet_start, d.quiet_end):
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

    async def _send_one(self, d: Delivery, send_until: datetime) -> DeliveryResult | None:
        """Sends one row; None if it was not sent (stopping, or the lease running short)."""
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
                if self._stopping or self._clock.now() >= send_until:
                    return None
                result = await self._send(message)
                self._pacer.sent(d.telegram_user_id)
                if result.outcome is not Outcome.RETRY_AFTER:
                    break
                # Flood control applies to the whole bot: everyone waits, then this one retries.
                self._flood_until = max(self._flood_until, _time.monotonic() + result.retry_after)
            return self._result(d, result)

    async def _send(self, message: OutgoingMessage) -> SendResult:
        try:
            return await self._sender.send(message)
        except Exception as error:
            # Whatever it was, Telegram did not say it accepted the message: counted as an
            # attempt and retried with backoff, like a 5xx. Never lost with the batch.
            log.warning(
                "outbox %s: send failed with %s; will retry",
                message.outbox_id,
                type(error).__name__,
            )
            return SendResult(Outcome.TRANSIENT, error=f"unknown: {type(error).__name__}")

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
        payload = TipPayload.from_json(d.payload)
        text, more = render_tip(
            self._library,
            TipParts.of(tip.id, payload),
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
            payload=payload,
        )
