"""One send rate and one per-chat spacing for every worker, held in Redis.

The outbox dispatcher asks a rate limiter (`acquire()`) before each send and a chat pacer
(`locks[chat]`, `wait(chat)`, `sent(chat)`) around it. In one process aiolimiter and an
in-memory pacer do that; with several workers these Redis-backed twins take their place, so
N workers together still send at most `rate` messages a second and one per chat per
`interval`. Redis' own clock (TIME, PTTL) is the only clock used, so hosts with skewed clocks
still agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from types import TracebackType
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

KEY_PREFIX = "jiayi:send"

# Reserves the next free send slot: slots are `interval` microseconds apart across every
# worker (one token refilled every 1/rate s, like the single-process AsyncLimiter(1, 1/rate)),
# so no one-second window ever holds more than `rate` sends. Returns microseconds to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
local ttl = math.floor((slot + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', ttl)
return slot - now
"""


class SharedLimitsUnavailable(Exception):
    """Redis, which holds the limits every worker shares, could not be reached: nothing more is
    sent in this run (a send without the shared limits could break Telegram's); rows not sent
    go out in a later run, after their claim's lease."""


@contextmanager
def _redis_reached() -> Iterator[None]:
    """Every Redis call of the shared limits: a failure to reach Redis is one fault."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as error:
        raise SharedLimitsUnavailable(str(error)) from error


class RateLimiter(Protocol):
    async def acquire(self) -> None: ...


class ChatPacer(Protocol):
    """At most one message per chat per interval; `locks[chat]` is held around wait/send/sent."""

    @property
    def locks(self) -> Any: ...

    async def wait(self, chat_id: int) -> None: ...

    def sent(self, chat_id: int) -> None: ...


class RedisRateLimiter:
    """`rate` sends a second shared by every process using the same Redis and `name`."""

    def __init__(self, redis: Redis, rate_per_second: float, *, name: str = "global") -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._redis = redis
        self._key = f"{KEY_PREFIX}:rate:{name}"
        self._interval_us = max(1, round(1_000_000 / rate_per_second))
        self._reserve = redis.register_script(_RESERVE)

    async def acquire(self) -> None:
        with _redis_reached():
            wait_us = int(await self._reserve(keys=[self._key], args=[self._interval_us]))
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1_000_000)


class _ChatLock(AbstractAsyncContextManager["_ChatLock"]):
    """A Redis lock on one chat: two workers never send to the same chat at once. Its
    timeout frees the chat if the holder dies mid-send."""

    def __init__(self, pacer: RedisChatPacer, chat_id: int) -> None:
        self._pacer = pacer
        self._chat_id = chat_id
        self._lock: Lock = pacer.redis.lock(
            f"{KEY_PREFIX}:chat-lock:{chat_id}", timeout=pacer.lock_timeout, sleep=0.02
        )

    async def __aenter__(self) -> _ChatLock:
        with _redis_reached():
            await self._lock.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._pacer.flush(self._chat_id)
        finally:
            with _redis_reached():
                await self._lock.release()


class _ChatLocks:
    def __init__(self, pacer: RedisChatPacer) -> None:
        self._pacer = pacer

    def __getitem__(self, chat_id: int) -> _ChatLock:
        return _ChatLock(self._pacer, chat_id)


class RedisChatPacer:
    """One message per chat per `interval` seconds across every worker.

    `sent()` is called right after a send (it cannot wait), so it only notes the chat; the
    note reaches Redis before the chat's lock is released or before its next `wait()`.
    """

    def __init__(self, redis: Redis, interval: float, *, lock_timeout: float = 60.0) -> None:
        self.redis = redis
        self.interval_ms = max(1, round(interval * 1000))
        self.lock_timeout = lock_timeout
        self._unflushed: set[int] = set()
        self._locks = _ChatLocks(self)

    @property
    def locks(self) -> _ChatLocks:
        return self._locks

    def _key(self, chat_id: int) -> str:
        return f"{KEY_PREFIX}:chat:{chat_id}"

    async def wait(self, chat_id: int) -> None:
        await self.flush(chat_id)
        with _redis_reached():
            remaining_ms = int(await self.redis.pttl(self._key(chat_id)))
        if remaining_ms > 0:
            await asyncio.sleep(remaining_ms / 1000)

    def sent(self, chat_id: int) -> None:
        self._unflushed.add(chat_id)

    async def flush(self, chat_id: int) -> None:
        if chat_id in self._unflushed:
            # The key lives exactly `interval`: while it exists, the chat must wait.
            with _redis_reached():
                await self.redis.set(self._key(chat_id), b"1", px=self.interval_ms)
            self._unflushed.discard(chat_id)
