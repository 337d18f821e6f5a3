"""The dispatcher against the Bot API test server over HTTP, on both databases."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from sqlalchemy import select, update

from jiayi.bot.app import build_bot, build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content.tips import Library
from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.services import pushes
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import DispatchSettings, OutboxDispatcher
from jiayi.services.pushes import PushSchedule
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from jiayi.storage.records import DeliveryResult, OutboxStatus
from tests.factories import make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = PushSchedule(zone=SHANGHAI)
LIDONG = date(2026, 11, 7)
FAST = DispatchSettings(rate_per_second=200, per_chat_interval=0.0)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def bot(botapi: BotAPIServer) -> AsyncIterator[Bot]:
    settings = Settings(
        bot_token="123456789:TEST-token-for-delivery",  # type: ignore[arg-type]
        telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = build_bot(settings)
    yield bot
    await bot.session.close()


def make_dispatcher(
    uow_factory: UnitOfWorkFactory,
    bot: Bot,
    library: Library,
    clock: ManualClock,
    settings: DispatchSettings = FAST,
) -> OutboxDispatcher:
    return OutboxDispatcher(
        uow_factory=uow_factory,
        sender=AiogramSender(bot, build_i18n("zh-CN")),
        library=library,
        clock=clock,
        zone=SHANGHAI,
        settings=settings,
    )


async def statuses(uow_factory: UnitOfWorkFactory) -> list[SimpleNamespace]:
    table = m.OutboxMessage.__table__
    async with uow_factory() as uow:
        result = await uow.session.execute(select(table).order_by(table.c.id))
        return [SimpleNamespace(**row) for row in result.mappings()]


async def resident_reachable(uow_factory: UnitOfWorkFactory, user_id: int) -> bool:
    async with uow_factory() as uow:
        resident = await uow.residents.by_telegram_user(user_id)
        assert resident is not None
        return resident.reachable


async def test_tip_is_sent_once_in_the_residents_language_with_buttons(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 6))
    doctor = await make_doctor(uow_factory, clock, "王医生")
    await make_resident(
        uow_factory, clock, 501, name="Wang Li", locale="en", conditions=(Condition.HYPERTENSION,)
    )
    from jiayi.services import residents

    await residents.choose_doctor(uow_factory(), clock, 501, doctor.id, SHANGHAI)
    botapi.open_chat(TgUser(501, "Wang"))
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock)

    early = await dispatcher.run_once()  # 06:00: planned for 09:00, nothing is due yet
    assert early.sent == 0
    assert botapi.messages(501) == []

    clock.set(local(LIDONG, 9))
    report = await dispatcher.run_once()
    assert report.sent == 1
    [message] = botapi.messages(501)
    assert message.text == "Start of Winter · hypertension Wang Li 王医生"
    assert message.button_texts() == ["👍", "👎", "Ask my doctor", "More tips"]
    assert (await dispatcher.run_once()).sent == 0
    [row] = await statuses(uow_factory)
    assert row.status == "sent"
    assert row.telegram_message_id == message.message_id


async def test_quiet_hours_delay_but_never_drop(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    await make_resident(uow_factory, clock, 502)
    botapi.open_chat(TgUser(502, "Li"))
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    # Back from downtime at 22:30: the 09:00 tip is due, but it's quiet hours.
    clock.set(local(LIDONG, 22, 30))
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock)
    report = await dispatcher.run_once()
    assert (report.sent, report.deferred) == (0, 1)
    [row] = await statuses(uow_factory)
    assert (row.status, row.not_before) == ("pending", local(LIDONG + timedelta(days=1), 8))
    clock.set(local(LIDONG + timedelta(days=1), 7, 59))
    assert (await dispatcher.run_once()).sent == 0
    clock.set(local(LIDONG + timedelta(days=1), 8))
    assert (await dispatcher.run_once()).sent == 1
    assert len(botapi.messages(502)) == 1


async def test_blocked_resident_is_marked_unreachable_after_one_403(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 10))
    await make_resident(uow_factory, clock, 503)
    await make_resident(uow_factory, clock, 504)
    for user in (503, 504):
        botapi.open_chat(TgUser(user, "x"))
    botapi.fail(503, "blocked")
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock)
    report = await dispatcher.run_once()
    assert (report.sent, report.blocked) == (1, 1)
    assert not await resident_reachable(uow_factory, 503)
    assert await resident_reachable(uow_factory, 504)
    assert len(botapi.find_requests("sendMessage", 503)) == 1

    # Nothing more is planned or sent to them, but their data stays.
    await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    await dispatcher.run_once()
    assert len(botapi.find_requests("sendMessage", 503)) == 1
    async with uow_factory() as uow:
        assert await uow.residents.by_telegram_user(503) is not None


async def test_flood_control_waits_and_retries(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 10))
    await make_resident(uow_factory, clock, 505)
    botapi.open_chat(TgUser(505, "x"))
    botapi.fail(505, "flood", times=1, retry_after=1)
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    report = await make_dispatcher(uow_factory, bot, test_library, clock).run_once()
    assert report.sent == 1
    first, second = botapi.find_requests("sendMessage", 505)
    assert second.at - first.at >= 1.0  # waited retry_after before trying again
    assert len(botapi.messages(505)) == 1


async def test_server_errors_back_off_then_give_up(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 10))
    await make_resident(uow_factory, clock, 506)
    botapi.open_chat(TgUser(506, "x"))
    botapi.fail(506, "server_error")
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    settings = replace(FAST, max_attempts=3)
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock, settings)
    await dispatcher.run_once()
    [row] = await statuses(uow_factory)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.not_before == clock.now() + settings.base_backoff
    assert (await dispatcher.run_once()).sent == 0  # not due until the backoff passes
    for _ in range(2):
        clock.advance(settings.max_backoff)
        await dispatcher.run_once()
    [row] = await statuses(uow_factory)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "Internal Server Error" in (row.last_error or "")


async def test_a_crashed_dispatchers_rows_are_claimed_again_after_the_lease(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 10))
    await make_resident(uow_factory, clock, 507)
    botapi.open_chat(TgUser(507, "x"))
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    async with uow_factory() as uow:  # a dispatcher claims, then dies before sending
        await uow.begin_write()
        claimed = await uow.outbox.claim(now=clock.now(), lease=FAST.lease, limit=10)
        await uow.commit()
    assert len(claimed) == 1
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock)
    assert (await dispatcher.run_once()).sent == 0  # still leased
    clock.advance(FAST.lease + timedelta(seconds=1))
    assert (await dispatcher.run_once()).sent == 1
    assert len(botapi.messages(507)) == 1


async def test_two_dispatchers_never_send_the_same_row_twice(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    clock.set(local(LIDONG, 10))
    users = list(range(600, 640))
    for user in users:
        await make_resident(uow_factory, clock, user)
        botapi.open_chat(TgUser(user, "x"))
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    small = replace(FAST, batch_size=5)
    first = make_dispatcher(uow_factory, bot, test_library, clock, small)
    second = make_dispatcher(uow_factory, bot, test_library, clock, small)
    reports = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(r.sent for r in reports) == len(users)
    assert all(len(botapi.messages(u)) == 1 for u in users)


async def test_global_rate_and_per_chat_interval_hold(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    rate = 20
    clock.set(local(LIDONG, 10))
    users = list(range(700, 740))
    for user in users:
        await make_resident(uow_factory, clock, user)
        botapi.open_chat(TgUser(user, "x"))
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    # One resident also has a catch-up tip due: two messages for one chat.
    await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    settings = DispatchSettings(rate_per_second=rate, per_chat_interval=1.0)
    report = await make_dispatcher(uow_factory, bot, test_library, clock, settings).run_once()
    sends = sorted(r.at for r in botapi.requests if r.method.lower() == "sendmessage")
    assert report.sent == len(sends) > len(users)
    # Measured on the server's clock. Sends leave evenly spaced at 1/rate; on a loaded machine
    # one request can arrive late and bunch up with the next, so a window may see one extra.
    busiest = max(sum(1 for t in sends if start <= t < start + 1) for start in sends)
    assert busiest <= rate + 1
    assert (len(sends) - 1) / (sends[-1] - sends[0]) <= rate * 1.02  # sustained rate
    per_chat: dict[int | None, list[float]] = {}
    for r in botapi.requests:
        if r.method.lower() == "sendmessage":
            per_chat.setdefault(r.chat_id, []).append(r.at)
    for times in per_chat.values():
        assert all(b - a >= 0.99 for a, b in itertools.pairwise(times))


async def test_a_mixed_batch_leaves_every_row_in_its_own_state(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    # One batch, recorded in one go: two sent, a 5xx retried with backoff, a 400 failed, a
    # 403 blocked (their second message skipped), one paused, one in quiet hours.
    sent, sent_too, retried, failed, blocked, paused, quiet = range(801, 808)
    for user in (sent, sent_too, retried, failed, blocked, paused, quiet):
        await make_resident(uow_factory, clock, user)
        botapi.open_chat(TgUser(user, "x"))
        if user != quiet:  # the others' quiet hours start at 23:00, the quiet one's at 21:00
            await pushes.set_quiet_hours(uow_factory(), user, 23, 6)
    botapi.fail(retried, "server_error")
    botapi.fail(failed, "bad_request")
    botapi.fail(blocked, "blocked")
    await bot.send_message(sent_too, "hello")  # its tip gets a different Telegram message id
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    await pushes.set_paused(uow_factory(), clock, paused, True)  # after the tip was planned
    clock.set(local(LIDONG, 22))
    planned = await statuses(uow_factory)
    ids = {u.telegram_user_id: u.id for u in await residents_by_user(uow_factory)}
    [blocked_tip] = [row for row in planned if row.resident_id == ids[blocked]]
    async with uow_factory() as uow:  # a second message for the resident who blocked the bot
        await uow.outbox.enqueue(
            resident_id=ids[blocked],
            kind="tip",
            dedupe_key="extra-for-blocked",
            tip_id=blocked_tip.tip_id,
            payload=blocked_tip.payload,
            not_before=clock.now(),
            now=clock.now(),
        )
        await uow.commit()

    report = await make_dispatcher(uow_factory, bot, test_library, clock).run_once()

    assert (report.sent, report.retried, report.failed, report.blocked) == (2, 1, 1, 1)
    assert (report.skipped, report.deferred) == (2, 1)
    rows = {(row.resident_id, row.dedupe_key): row for row in await statuses(uow_factory)}
    by_user = {
        user: [row for (rid, _), row in sorted(rows.items()) if rid == ids[user]] for user in ids
    }
    for user in (sent, sent_too):
        [row] = by_user[user]
        message = botapi.messages(user)[-1]
        assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())
        assert row.telegram_message_id == message.message_id
        assert row.claimed_until is None
    assert by_user[sent][0].telegram_message_id != by_user[sent_too][0].telegram_message_id
    [row] = by_user[retried]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.not_before == clock.now() + FAST.base_backoff
    assert "Internal Server Error" in (row.last_error or "")
    [row] = by_user[failed]
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert "chat not found" in (row.last_error or "")
    first, second = sorted(by_user[blocked], key=lambda row: row.not_before)
    assert (first.status, first.attempts) == ("blocked", 1)
    assert (second.status, second.attempts, second.last_error) == ("skipped", 0, "unreachable")
    assert not await resident_reachable(uow_factory, blocked)
    assert await resident_reachable(uow_factory, sent)
    [row] = by_user[paused]
    assert (row.status, row.attempts, row.last_error) == ("skipped", 0, "paused")
    [row] = by_user[quiet]
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert row.not_before == local(LIDONG + timedelta(days=1), 8)
    assert all(row.claimed_until is None for row in rows.values())
    assert len(botapi.find_requests("sendMessage", blocked)) == 1


async def test_recording_leaves_rows_the_dispatcher_no_longer_holds(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(local(LIDONG, 10))
    await make_resident(uow_factory, clock, 811)
    await make_resident(uow_factory, clock, 812)
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG)
    async with uow_factory() as uow:
        await uow.begin_write()
        mine, theirs = await uow.outbox.claim(now=clock.now(), lease=FAST.lease, limit=10)
        await uow.commit()
    async with uow_factory() as uow:  # meanwhile the other row was withdrawn
        await uow.session.execute(
            update(m.OutboxMessage)
            .where(m.OutboxMessage.id == theirs.outbox_id)
            .values(status="cancelled", claimed_until=None)
        )
        await uow.commit()
    results = [
        DeliveryResult(d.outbox_id, d.resident_id, OutboxStatus.SENT, message_id=7)
        for d in (mine, theirs)
    ]
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.outbox.record(results, clock.now())
        await uow.commit()
    rows = {row.id: row for row in await statuses(uow_factory)}
    assert (rows[mine.outbox_id].status, rows[mine.outbox_id].telegram_message_id) == ("sent", 7)
    assert rows[theirs.outbox_id].status == "cancelled"
    assert rows[theirs.outbox_id].telegram_message_id is None
    assert rows[theirs.outbox_id].attempts == 0


async def residents_by_user(uow_factory: UnitOfWorkFactory) -> list[SimpleNamespace]:
    async with uow_factory() as uow:
        result = await uow.session.execute(select(m.Resident.id, m.Resident.telegram_user_id))
        return [SimpleNamespace(id=i, telegram_user_id=u) for i, u in result]
