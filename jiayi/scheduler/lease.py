"""Which worker plans: a Redis lease held with renewal.

Every worker runs a `Lease`; the one whose `SET NX PX` succeeded is the leader and renews
every `renew_every` seconds. A leader that dies stops renewing, its key expires after `ttl`,
and the next worker's attempt takes it: takeover within `ttl + renew_every` (20 s by default).
A leader that cannot renew in time (a long pause, Redis unreachable) steps down at once. The
planner's dedupe keys stay the safety net for the moment two workers both think they lead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LEASE_KEY = "jiayi:scheduler:leader"

# Extends the lease only if this worker still holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def holder_id() -> str:
    """host:pid:random — readable in Redis (`GET jiayi:scheduler:leader`) by an operator."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(
        self,
        redis: Redis,
        *,
        key: str = LEASE_KEY,
        ttl: float = 15.0,
        renew_every: float = 5.0,
        on_acquired: Callable[[], Coroutine[Any, Any, None]] | None = None,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self._redis = redis
        self.key = key
        self.token = holder_id()
        self._ttl_ms = round(ttl * 1000)
        self._renew_every = renew_every
        self._on_acquired = on_acquired
        self._on_change = on_change
        self._renew = redis.register_script(_RENEW)
        self._held = False
        self._task: asyncio.Task[None] | None = None
        self._catch_up: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return self._held

    def _set(self, held: bool) -> None:
        if held != self._held:
            self._held = held
            log.info("scheduler lease %s (%s)", "acquired" if held else "lost", self.token)
            if self._on_change is not None:
                self._on_change(held)

    async def step(self) -> bool:
        """One attempt: renew if held, else try to take it. Returns whether this worker leads."""
        try:
            if self._held:
                renewed = await self._renew(keys=[self.key], args=[self.token, self._ttl_ms])
                self._set(bool(renewed))
            else:
                taken = await self._redis.set(self.key, self.token, nx=True, px=self._ttl_ms)
                if taken:
                    self._set(True)
                    if self._on_acquired is not None:
                        # Catch up at once (plan, slots) rather than at the next timer tick.
                        self._catch_up = asyncio.create_task(self._on_acquired())
        except RedisError:
            log.warning("scheduler lease: Redis unreachable; not planning until it is back")
            self._set(False)
        return self._held

    async def _loop(self) -> None:
        while True:
            await self.step()
            await asyncio.sleep(self._renew_every)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stops renewing and hands the lease back at once, so a clean shutdown or restart
        doesn't leave planning idle until the key expires."""
        for task in (self._task, self._catch_up):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception:
                    log.exception("scheduler lease: catch-up failed")
        if self._held:
            with contextlib.suppress(RedisError):
                # redis-py types its commands for the sync and async clients at once
                # (`Awaitable[str] | str`, redis/redis-py#2399); on `redis.asyncio` it awaits.
                await self._redis.eval(  # type: ignore[misc]
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('DEL', KEYS[1]) end return 0",
                    1,
                    self.key,
                    self.token,
                )
            self._set(False)
