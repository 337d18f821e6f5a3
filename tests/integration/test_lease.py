"""The planning lease (scheduler/lease.py) on a real Redis: one holder at a time, handed over
when the holder stops or dies."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from jiayi.scheduler.lease import Lease

REDIS_URL = os.environ.get("JIAYI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis() -> AsyncIterator[object]:
    module = pytest.importorskip("redis.asyncio")
    client = module.from_url(REDIS_URL)
    try:
        await client.flushdb()
    except Exception:
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    yield client
    await client.flushdb()
    await client.aclose()


async def test_one_holder_at_a_time_and_a_dead_holder_is_replaced(redis: object) -> None:
    """Mutation tried: `step()` taking the key with a plain SET (no NX) — both workers
    report holding the lease. And: renewal without comparing the token — the first worker
    goes on renewing the key the second took."""
    first = Lease(redis, ttl=0.5)  # type: ignore[arg-type]
    second = Lease(redis, ttl=0.5)  # type: ignore[arg-type]
    assert await first.step()
    assert not await second.step()
    assert await first.step()  # renewed

    # The holder dies (stops renewing): after the ttl the other takes over.
    await asyncio.sleep(0.7)
    assert await second.step()
    # The old holder, back from a long pause, finds it has lost the lease.
    assert not await first.step()
    assert await redis.get(first.key) == second.token.encode()  # type: ignore[attr-defined]


async def test_a_stopping_holder_hands_the_lease_over_at_once(redis: object) -> None:
    """Mutation tried: `stop()` not deleting the key — the other worker waits for the ttl
    (15 s) and the second assertion fails."""
    changes: list[bool] = []
    first = Lease(redis, ttl=15, on_change=changes.append)  # type: ignore[arg-type]
    second = Lease(redis, ttl=15)  # type: ignore[arg-type]
    assert await first.step()
    await first.stop()
    assert await second.step()
    assert changes == [True, False]
