"""When Redis (the limits every worker shares) cannot be reached, the rate limiter and the
per-chat lock say so in one exception the dispatch job reports as a warning: no traceback in
the log, and the rows not sent go out in a later run (tests/e2e/test_workers.py shuts workers
down while Redis connections drop)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from jiayi.services.ratelimit import RedisChatPacer, RedisRateLimiter, SharedLimitsUnavailable

# Nothing listens on port 1.
UNREACHABLE = "redis://127.0.0.1:1/0"


async def test_the_rate_limiter_reports_unreachable_redis() -> None:
    redis = Redis.from_url(UNREACHABLE, socket_connect_timeout=1)
    try:
        with pytest.raises(SharedLimitsUnavailable):
            await RedisRateLimiter(redis, 30).acquire()
    finally:
        await redis.aclose()


async def test_the_chat_lock_reports_unreachable_redis() -> None:
    redis = Redis.from_url(UNREACHABLE, socket_connect_timeout=1)
    try:
        with pytest.raises(SharedLimitsUnavailable):
            async with RedisChatPacer(redis, interval=1.0).locks[42]:
                pass
    finally:
        await redis.aclose()
