"""Seasonal pushes end to end: the real library, the bot's own scheduler jobs, HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jiayi.content.render import Renderer
from jiayi.content.tips import Audience, load_library
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIDONG_2026 = date(2026, 11, 7)  # 立冬, Start of Winter


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def sent_at(uow_factory: UnitOfWorkFactory, tip_id: str) -> list[datetime]:
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(m.OutboxMessage.sent_at).where(
                m.OutboxMessage.tip_id == tip_id, m.OutboxMessage.status == "sent"
            )
        )
        return [row[0] for row in rows]


async def test_lidong_hypertension_tip_arrives_once_at_the_morning_hour(
    botapi: BotAPIServer,
    settings: Settings,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock.set(local(LIDONG_2026, 6))  # 06:00: still quiet hours
    await make_resident(
        uow_factory,
        clock,
        7070,
        name="张阿姨",
        birth_year=1956,
        conditions=(Condition.HYPERTENSION,),
    )
    chat = make_chat(botapi, 7070)
    chat.open()
    expected = load_library(Renderer().env).render(
        "lidong", Audience.HYPERTENSION, "zh-CN", name="张阿姨", age=70, doctor=None
    )
    running = RunningBot(settings, clock)
    await running.start()
    try:
        await running.jobs.plan()
        await running.jobs.dispatch()
        assert chat.messages() == []  # nothing during quiet hours, nothing before 09:00

        clock.set(local(LIDONG_2026, 9))
        await running.jobs.dispatch()
        tip = await chat.wait_for(predicate=lambda msg: msg.html == expected)
        assert "👍" in tip.button_texts()

        # A restart replans the day and drains the outbox again: no second copy.
        await running.restart()
        await running.jobs.plan()
        clock.set(local(LIDONG_2026, 11))
        await running.jobs.dispatch()
    finally:
        await running.stop()
    lidong = [msg for msg in chat.messages() if msg.html == expected]
    assert len(lidong) == 1
    assert await sent_at(uow_factory, "lidong") == [local(LIDONG_2026, 9)]


async def test_resident_who_blocked_the_bot_gets_nothing_more(
    botapi: BotAPIServer,
    settings: Settings,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock.set(local(LIDONG_2026, 10))
    await make_resident(uow_factory, clock, 8080)
    chat = make_chat(botapi, 8080)
    chat.open()
    botapi.fail(8080, "blocked")  # blocked, and the bot was never told: it learns from a 403
    running = RunningBot(settings, clock)
    await running.start()
    try:
        await running.jobs.plan()
        await running.jobs.dispatch()
        async with uow_factory() as uow:
            resident = await uow.residents.by_telegram_user(8080)
        assert resident is not None
        assert not resident.reachable
        assert len(botapi.find_requests("sendMessage", 8080)) == 1  # the one 403

        # Days later, more tips are due for everyone else; none is even attempted for them.
        clock.set(local(date(2026, 11, 22), 10))  # 小雪
        await running.jobs.plan()
        await running.jobs.dispatch()
        assert len(botapi.find_requests("sendMessage", 8080)) == 1
    finally:
        await running.stop()


async def test_tips_menu_pause_topics_and_feedback(
    botapi: BotAPIServer,
    settings: Settings,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock.set(local(LIDONG_2026, 9))
    await make_resident(uow_factory, clock, 9090, locale="en")
    chat = make_chat(botapi, 9090, language_code="en")
    chat.open()
    running = RunningBot(settings, clock)
    await running.start()
    try:
        await running.jobs.plan()
        await running.jobs.dispatch()
        tip = await chat.wait_for(predicate=lambda msg: "👍" in msg.button_texts())
        await chat.press("👍", message=tip)
        voted = await chat.wait_for(predicate=lambda msg: "👍 ✓" in msg.button_texts())
        assert voted.message_id == tip.message_id

        await chat.send("/tips")
        overview = await chat.wait_for("Health tips")
        assert "Quiet hours: 9:00 pm–8:00 am" in overview.text
        await chat.press("Choose topics")
        await chat.wait_for("Tap a topic")
        await chat.press("✅ Smoking")
        await chat.wait_for(predicate=lambda msg: "Smoking" in msg.button_texts())
        await chat.press("Done")
        overview = await chat.wait_for("Topics you turned off: Smoking")
        await chat.press("Pause all pushes")
        paused = await chat.wait_for("All pushes are paused")
        assert "Resume health tips" in paused.button_texts()
        await chat.press("Resume health tips")
        await chat.wait_for("You receive seasonal health advice")
    finally:
        await running.stop()


async def test_blocking_and_unblocking_notices_switch_pushes_off_and_on(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await make_resident(uow_factory, clock, 8181, locale="en")
    chat = make_chat(botapi, 8181, language_code="en")
    chat.open()

    async def reachable() -> bool:
        async with uow_factory() as uow:
            resident = await uow.residents.by_telegram_user(8181)
        assert resident is not None
        return resident.reachable

    await chat.block()
    # The notice is handled in its own task; nothing is sent to a blocked user to wait on,
    # so watch for its effect, within a bound.
    for _ in range(200):
        if not await reachable():
            break
        await asyncio.sleep(0.05)
    assert not await reachable()
    await jiayi.jobs.plan()
    await jiayi.jobs.dispatch()
    assert botapi.find_requests("sendMessage", 8181) == []
    await chat.unblock()
    await chat.send("/menu")
    await chat.wait_for("Main menu")
    assert await reachable()
