"""One send rate and one per-chat spacing for every worker (services/ratelimit.py), on Redis.

Two dispatchers, each with its own Redis connection as two worker processes have, drain one
outbox on PostgreSQL and send to the Bot API test server: together they stay within the
configured rate (measured on the server's clock) and send every message exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import insert, select

from jiayi.bot.app import build_worker
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.services import broadcasts
from jiayi.services.broadcasts import Draft
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import DispatchSettings
from jiayi.services.ratelimit import RedisChatPacer, RedisRateLimiter
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import make_doctor

REDIS_URL = os.environ.get("JIAYI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RATE = 10.0
RESIDENTS = 40
DOCTOR_USER = 900
FIRST_USER = 200_000


@pytest.fixture
async def redis_clients() -> AsyncIterator[list[object]]:
    redis = pytest.importorskip("redis.asyncio")
    clients = [redis.from_url(REDIS_URL), redis.from_url(REDIS_URL)]
    try:
        await clients[0].flushdb()
    except Exception:
        for client in clients:
            await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    yield clients
    await clients[0].flushdb()
    for client in clients:
        await client.aclose()


async def _residents(uow_factory: UnitOfWorkFactory, clock: ManualClock, doctor_id: int) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        s = uow.session
        users = range(FIRST_USER, FIRST_USER + RESIDENTS)
        await s.execute(
            insert(m.Resident),
            [
                {
                    "telegram_user_id": user,
                    "display_name": f"R{user}",
                    "locale": "en",
                    "birth_year": 1950,
                    "consent_version": CONSENT_NOTICE_VERSION,
                    "consented_at": now,
                    "onboarded_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for user in users
            ],
        )
        ids = list(await s.scalars(select(m.Resident.id)))
        await s.execute(
            insert(m.Contract),
            [
                {
                    "resident_id": rid,
                    "doctor_id": doctor_id,
                    "starts_on": now.date(),
                    "ends_on": now.date() + timedelta(days=364),
                    "created_at": now,
                }
                for rid in ids
            ],
        )
        await uow.commit()


async def test_two_dispatchers_share_one_send_rate(
    botapi: BotAPIServer,
    database_url: str,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    redis_clients: list[object],
) -> None:
    """Mutation tried: each dispatcher with its own in-process AsyncLimiter (limiter=None in
    build_worker, as before this change) — together they send at twice the rate and the
    busiest second holds ~2x RATE. And: RedisRateLimiter with a per-instance key name
    (name=str(id(self))) — same failure."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several dispatchers share the outbox through PostgreSQL")
    settings = Settings(
        bot_token="123456789:TEST-token-for-e2e",  # type: ignore[arg-type]
        database_url=database_url,
        telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
        push_rate=RATE,
        _env_file=None,  # type: ignore[call-arg]
    )
    doctor = await make_doctor(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.doctors.bind_telegram_user(doctor.id, DOCTOR_USER)
        await uow.commit()
    await _residents(uow_factory, clock, doctor.id)
    for user in range(FIRST_USER, FIRST_USER + RESIDENTS):
        botapi.open_chat(TgUser(user, "x"))
    await broadcasts.create_broadcast(
        uow_factory(),
        clock,
        settings,
        DOCTOR_USER,
        Draft(texts={"zh-CN": "流感疫苗开始接种", "en": "Flu shots are available"}),
        owner_locale="zh-CN",
    )
    workers = [
        build_worker(
            settings,
            clock=clock,
            storage=MemoryStorage(),
            limiter=RedisRateLimiter(redis, RATE),  # type: ignore[arg-type]
            pacer=RedisChatPacer(redis, DispatchSettings.per_chat_interval),  # type: ignore[arg-type]
        )
        for redis in redis_clients
    ]
    # Small batches, so both dispatchers hold claims at the same time.
    for worker in workers:
        worker.dispatcher.settings = DispatchSettings(rate_per_second=RATE, batch_size=5)
    try:
        reports = await asyncio.gather(*(w.jobs.dispatch() for w in workers))
    finally:
        for worker in workers:
            await worker.bot.session.close()
            await worker.database.dispose()
    assert all(r.sent > 0 for r in reports)  # both took part
    assert sum(r.sent for r in reports) == RESIDENTS

    requests = [r for r in botapi.requests if r.method == "sendMessage"]
    chats = [r.chat_id for r in requests]
    assert len(chats) == len(set(chats)) == RESIDENTS  # none lost, none doubled
    sends = sorted(r.at for r in requests)
    busiest = 0
    start = 0
    for end, at in enumerate(sends):
        while at - sends[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    assert busiest <= RATE + 1


async def test_two_pacers_keep_one_second_between_messages_to_a_chat(
    redis_clients: list[object],
) -> None:
    """Mutation tried: `_ChatLock.__aenter__` not taking the Redis lock — both workers read
    an empty chat key at once and send together (gap ~0 s)."""
    pacers = [RedisChatPacer(redis, 1.0) for redis in redis_clients]  # type: ignore[arg-type]
    chat = 42
    sent_at: list[float] = []

    async def send(pacer: RedisChatPacer) -> None:
        async with pacer.locks[chat]:
            await pacer.wait(chat)
            sent_at.append(time.monotonic())
            pacer.sent(chat)

    await asyncio.gather(*(send(p) for p in pacers for _ in range(2)))
    sent_at.sort()
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert len(sent_at) == 4
    assert min(gaps) >= 0.95
