"""Per-chat pacing and the group commit of send results (at most one unrecorded accepted
message per send slot at any instant)."""

from __future__ import annotations

import asyncio
import contextlib
import time as _time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from jiayi.storage.records import DeliveryResult


@dataclass
class LocalChatPacer:
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


class Recorder:
    """Group commit of one batch's results.

    Each write takes every result that arrived while the previous write ran, in one short
    transaction, so a busy batch costs a handful of round-trips, not one per message. A send
    slot that waits on :meth:`record` holds its slot until its result is durable: at any
    instant at most one accepted-but-unrecorded message per slot exists, which is all a crash
    can make the next dispatcher send again.
    """

    def __init__(
        self, write: Callable[[list[DeliveryResult]], Awaitable[None]], window: float
    ) -> None:
        self._write = write
        self._window = window
        # Send slots at work (kept by the dispatcher) and those waiting on a write: when
        # every slot at work waits, nothing more can come and the write goes at once.
        self._active = 0
        self._waiting = 0
        self._all_waiting = asyncio.Event()
        self._queue: list[tuple[DeliveryResult, asyncio.Future[bool] | None]] = []
        self._writer: asyncio.Task[None] | None = None
        self.error: Exception | None = None
        # Results a failed write could not store: kept for the next run to try again.
        self.unwritten: list[DeliveryResult] = []

    def submit(self, results: Iterable[DeliveryResult]) -> None:
        """Records without waiting (results that sent nothing: skips, quiet-hour delays)."""
        for result in results:
            self._enqueue(result, None)

    async def record(self, result: DeliveryResult) -> bool:
        """Records and waits until it is committed; False if the database refused it."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting += 1
        try:
            self._enqueue(result, done)
            self._check_all_waiting()
            # Shielded: a cancelled slot leaves the write, and the other slots' results, alone.
            return await asyncio.shield(done)
        finally:
            self._waiting -= 1

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Counts a send slot at work for as long as it holds the slot."""
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
            self._check_all_waiting()

    def _check_all_waiting(self) -> None:
        if self._waiting >= self._active:
            self._all_waiting.set()

    def _enqueue(self, result: DeliveryResult, done: asyncio.Future[bool] | None) -> None:
        if self.error is not None:
            self.unwritten.append(result)
            if done is not None:
                done.set_result(False)
            return
        self._queue.append((result, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            # Unless every slot already waits, a short window first: the sends that return
            # meanwhile join this write, which saves most transactions (and their CPU).
            if self._waiting < self._active:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._all_waiting.wait(), self._window)
            self._all_waiting.clear()
            entries, self._queue = self._queue, []
            results = [result for result, _ in entries]
            try:
                await self._write(results)
            except Exception as error:
                self.error = error
                self.unwritten.extend(results)
                self.unwritten.extend(result for result, _ in self._queue)
                entries += self._queue
                self._queue = []
                ok = False
            else:
                ok = True
            for _, done in entries:
                if done is not None and not done.done():
                    done.set_result(ok)

    async def close(self) -> None:
        """Waits until everything submitted is written (or has failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
