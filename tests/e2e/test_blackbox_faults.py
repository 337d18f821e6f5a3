"""Black box: `jiayi run` as a separate process against a Bot API emulator written here (not
the in-repo test server): a few dozen lines of aiohttp that answer like Telegram, except that
some sends get a proxy's HTML 502 page. The bot is interrupted (Ctrl-C) in the middle of
dispatching and started again; in the end every push reached its chat exactly once, and the
logs hold no traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.factories import make_resident

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TOKEN = "123456789:TEST-token-for-blackbox"
CHATS = 30
FIRST_CHAT = 9300
# Real tips from the shipped library (the process loads it): three pushes per chat.
TIPS = ("evergreen_salt", "evergreen_exercise", "evergreen_falls")
BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
TIMEOUT = 150.0
# Which sendMessage calls a proxy answers with its HTML 502 page: in both runs, and early
# enough that their retries (30 s later) go through.
BAD_GATEWAY_SENDS = frozenset({4, 13, 22, 31, 60, 75})


class Emulator:
    """Just enough of the Bot API for `jiayi run`; a few sendMessage calls get an HTML 502."""

    def __init__(self) -> None:
        self.delivered: dict[int, list[str]] = defaultdict(list)
        self.bad_gateways = 0
        self._sends = 0
        self._next_id = 1
        self.changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def count(self) -> int:
        return sum(len(texts) for texts in self.delivered.values())

    async def wait_for(self, delivered: int) -> None:
        async with asyncio.timeout(TIMEOUT), self.changed:
            await self.changed.wait_for(lambda: self.count() >= delivered)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params: dict[str, Any] = dict(await request.post())
        if method == "getme":
            bot = {"id": 123456789, "is_bot": True, "first_name": "E", "username": "emu_bot"}
            return web.json_response({"ok": True, "result": bot})
        if method == "getupdates":
            await asyncio.sleep(min(float(params.get("timeout") or 0), 1.0))
            return web.json_response({"ok": True, "result": []})
        if method != "sendmessage":
            return web.json_response({"ok": True, "result": True})
        self._sends += 1
        if self._sends in BAD_GATEWAY_SENDS:
            self.bad_gateways += 1
            return web.Response(status=502, text=BAD_GATEWAY, content_type="text/html")
        chat = int(params["chat_id"])
        async with self.changed:
            self.delivered[chat].append(str(params["text"]))
            self.changed.notify_all()
        message = {
            "message_id": self._next_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat, "type": "private", "first_name": "R"},
            "text": params["text"],
        }
        self._next_id += 1
        return web.json_response({"ok": True, "result": message})


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


async def plan(uow_factory: UnitOfWorkFactory) -> dict[int, int]:
    """Three tips due now for each chat; no quiet hours, whatever the hour the test runs."""
    clock = ManualClock(datetime.now(UTC))
    for n in range(CHATS):
        chat = FIRST_CHAT + n
        resident = await make_resident(uow_factory, clock, chat, name=f"R{n}", birth_year=1990)
        async with uow_factory() as uow:
            await uow.pushes.set_quiet_hours(resident.id, 0, 0)
            for tip in TIPS:
                await uow.outbox.enqueue(
                    resident_id=resident.id,
                    kind="tip",
                    tip_id=tip,
                    dedupe_key=f"blackbox:{tip}:{resident.id}",
                    payload=json.dumps({"audience": "everyone"}),
                    not_before=clock.now(),
                    now=clock.now(),
                )
            await uow.commit()
    return {FIRST_CHAT + n: len(TIPS) for n in range(CHATS)}


async def planned_status(uow_factory: UnitOfWorkFactory) -> Counter[str]:
    async with uow_factory() as uow:
        return Counter(
            await uow.session.scalars(
                select(m.OutboxMessage.status).where(
                    m.OutboxMessage.dedupe_key.startswith("blackbox:")
                )
            )
        )


async def sent_per_chat(uow_factory: UnitOfWorkFactory) -> Counter[int]:
    o, r = m.OutboxMessage, m.Resident
    async with uow_factory() as uow:
        return Counter(
            await uow.session.scalars(
                select(r.telegram_user_id).join(o, o.resident_id == r.id).where(o.status == "sent")
            )
        )


async def start_bot(database_url: str, api_url: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    env |= {
        "JIAYI_BOT_TOKEN": TOKEN,
        "JIAYI_TELEGRAM_API_URL": api_url,
        "JIAYI_DATABASE_URL": database_url,
        # Slow enough to interrupt mid-dispatch, and a dispatch outlasts its 1 s timer.
        "JIAYI_PUSH_RATE": "8",
        "JIAYI_DISPATCH_INTERVAL_SECONDS": "1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jiayi.bot",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def stop_bot(process: asyncio.subprocess.Process, sig: signal.Signals) -> str:
    process.send_signal(sig)
    output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
    log = output.decode()
    assert process.returncode == 0, log
    return log


async def test_jiayi_run_through_502s_and_an_interrupt_sends_every_push_once(
    uow_factory: UnitOfWorkFactory, database_url: str, emulator: Emulator, tmp_path: Path
) -> None:
    """Mutations tried: the old shutdown order in `bot.app.run` (`scheduler.shutdown` first,
    which cancels the dispatch run mid-batch) -> its claimed rows wait out the 5-minute lease
    and the test times out, fails; the filter on APScheduler's logger removed -> "skipped:
    maximum number of running instances reached" WARNING lines in the log, fails."""
    planned = await plan(uow_factory)
    total = sum(planned.values())

    first = await start_bot(database_url, emulator.url, tmp_path)
    try:
        await emulator.wait_for(total // 3)
    finally:
        log = await stop_bot(first, signal.SIGINT)  # Ctrl-C mid-dispatch
    interrupted_at = emulator.count()
    assert interrupted_at < total, "the interrupt came after the dispatch had finished"

    second = await start_bot(database_url, emulator.url, tmp_path)
    try:
        # The sends that met a 502 are retried after their 30 s backoff.
        async with asyncio.timeout(TIMEOUT):
            while (await planned_status(uow_factory)) != {"sent": total}:  # noqa: ASYNC110
                await asyncio.sleep(0.5)  # a black box: its database is all there is to watch
    finally:
        log += await stop_bot(second, signal.SIGTERM)

    assert emulator.bad_gateways >= 2
    # The bot may have planned pushes of its own for today (a solar term, a catch-up tip):
    # they count too. Every row recorded as sent arrived once; nothing arrived twice.
    sent_rows = await sent_per_chat(uow_factory)
    for chat in planned:
        texts = Counter(emulator.delivered[chat])
        assert set(texts.values()) == {1}, (chat, texts.values())
        assert sum(texts.values()) == sent_rows[chat] >= planned[chat]
    assert "Traceback" not in log, log
    assert "CancelledError" not in log, log
    assert "maximum number of running instances" not in log, log
