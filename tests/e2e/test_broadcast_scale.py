"""A broadcast to 10,000 residents through the Bot API test server: nothing lost, nothing
doubled, and never faster than the configured rate — measured on the server's clock.

At the highest rate settings allow (30/s) this takes about 5.5 minutes per database, so it
is marked `slow`; CI still runs it. JIAYI_SCALE_RESIDENTS shrinks it for a quick local run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.services import broadcasts
from jiayi.services.broadcasts import Draft
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot
from tests.factories import make_doctor

RESIDENTS = int(os.environ.get("JIAYI_SCALE_RESIDENTS", "10000"))
RATE = 30.0  # the most Settings allows (Telegram's own limit is about 30 messages a second)
DOCTOR_USER = 900
FIRST_USER = 100_000

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
async def fast_bot(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings.model_copy(update={"push_rate": RATE}), clock)
    await running.start()
    yield running
    await running.stop()


async def _bulk_residents(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, doctor_id: int
) -> None:
    """Set-based inserts: three executemany statements instead of 10,000 sign-ups."""
    now = clock.now()
    today = now.date()
    users = range(FIRST_USER, FIRST_USER + RESIDENTS)
    async with uow_factory() as uow:
        s = uow.session
        await s.execute(
            insert(m.Resident),
            [
                {
                    "telegram_user_id": user,
                    "display_name": f"R{user}",
                    "locale": "zh-CN" if user % 3 else "en",
                    "birth_year": 1950,
                    "consent_version": CONSENT_NOTICE_VERSION,  # the notice in force
                    "consented_at": now,
                    "onboarded_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for user in users
            ],
        )
        ids = list(
            await s.scalars(select(m.Resident.id).where(m.Resident.telegram_user_id >= FIRST_USER))
        )
        await s.execute(
            insert(m.ResidentCondition),
            [{"resident_id": rid, "condition": "hypertension"} for rid in ids],
        )
        await s.execute(
            insert(m.Contract),
            [
                {
                    "resident_id": rid,
                    "doctor_id": doctor_id,
                    "starts_on": today,
                    "ends_on": today + timedelta(days=364),
                    "created_at": now,
                }
                for rid in ids
            ],
        )
        await uow.commit()


async def test_broadcast_to_ten_thousand_residents_respects_the_rate(
    botapi: BotAPIServer,
    fast_bot: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    settings = fast_bot.settings
    doctor = await make_doctor(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.doctors.bind_telegram_user(doctor.id, DOCTOR_USER)
        await uow.commit()
    await _bulk_residents(uow_factory, clock, doctor.id)
    for user in range(FIRST_USER, FIRST_USER + RESIDENTS):
        botapi.open_chat(TgUser(user, "x"))
    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, ["cond.hypertension", "age.65+"]
    )
    assert estimate.size == RESIDENTS
    assert estimate.duration == timedelta(seconds=RESIDENTS / RATE)
    sent = await broadcasts.create_broadcast(
        uow_factory(),
        clock,
        settings,
        DOCTOR_USER,
        Draft(texts={"zh-CN": "流感疫苗开始接种", "en": "Flu shots are available"}),
        owner_locale="zh-CN",
    )

    delivered = 0
    while True:
        report = await fast_bot.jobs.dispatch()
        if report.sent == 0:
            break
        delivered += report.sent
    assert delivered == RESIDENTS

    requests = [r for r in botapi.requests if r.method == "sendMessage"]
    assert all(r.status == 200 for r in requests)
    chats = [r.chat_id for r in requests]
    assert len(chats) == len(set(chats)) == RESIDENTS  # none lost, none doubled
    sends = sorted(r.at for r in requests)
    # The server's monotonic arrival times. Sends leave evenly spaced at 1/rate; one request
    # delayed on a loaded machine can bunch with the next, so a window may see one extra.
    busiest = 0
    start = 0
    for end, at in enumerate(sends):
        while at - sends[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    assert busiest <= RATE + 1
    assert (len(sends) - 1) / (sends[-1] - sends[0]) <= RATE * 1.02

    [final] = await fast_bot.jobs.broadcast_progress()
    assert final.broadcast.id == sent.id
    assert (final.delivered, final.failed, final.blocked, final.waiting) == (RESIDENTS, 0, 0, 0)
    async with uow_factory() as uow:
        still_pending = await uow.session.scalar(
            select(func.count())
            .select_from(m.OutboxMessage)
            .where(m.OutboxMessage.status != "sent")
        )
    assert still_pending == 0
