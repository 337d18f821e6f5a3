"""`jiayi sandbox`: the Bot API test server, the real bot and its scheduler, and the web chat.

Only two things differ from production: the bot talks to the in-repo Bot API server instead of
Telegram, and time is a :class:`~services.clock.ManualClock` that the visitor moves forward.
Everything else is the `jiayi run` code path (:func:`bot.app.run`), so every feature the bot
has shows up in the sandbox without sandbox code of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import SecretStr

from jiayi.bot.app import RunningApp, run
from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.sandbox.web.chat import ChatWeb
from jiayi.sandbox.web.personas import PERSONAS, persona_by_id
from jiayi.scheduler.app import DISPATCH_JOB_ID, OFFERS_JOB_ID, PLAN_JOB_ID, SLOTS_JOB_ID
from jiayi.services import webconsole
from jiayi.services.clock import ManualClock, SystemClock
from jiayi.services.database import Database, migrate, open_database
from jiayi.services.demo import DEMO_OPERATOR_USER_ID, seed_demo
from jiayi.services.demo import RESIDENTS as DEMO_RESIDENTS
from jiayi.services.settings import Settings
from jiayi.webconsole.app import build_console_app, start_console

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60.0
DEFAULT_START_TIME = time(10, 0)
# Jobs that feed the outbox run first, the dispatcher last, so one advance shows its effect.
_FIRST_JOBS = (SLOTS_JOB_ID, PLAN_JOB_ID, OFFERS_JOB_ID)


def default_start(zone: ZoneInfo) -> datetime:
    """10:00 today at the centre: daytime, so pushes are not held back by quiet hours
    whatever the hour the visitor starts the sandbox."""
    today = SystemClock().now().astimezone(zone).date()
    return datetime.combine(today, DEFAULT_START_TIME, zone)


@dataclass(frozen=True)
class AdvanceReport:
    now: datetime
    jobs: list[str]
    sent: int


@dataclass
class SandboxClock:
    """The sandbox's time: moves only when the visitor says so, then runs the due jobs."""

    clock: ManualClock
    control: RunningApp
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def now(self) -> datetime:
        return self.clock.now()

    async def advance(self, delta: timedelta) -> AdvanceReport:
        if delta <= timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        async with self._lock:
            self.clock.advance(delta)
            return await self._run_jobs()

    async def _run_jobs(self) -> AdvanceReport:
        """Runs every scheduled job once, now: whatever jobs the app registers (other
        features add theirs to the scheduler), feeders first and the dispatcher last."""
        scheduler = self.control.scheduler
        assert scheduler is not None
        jobs = {job.id: job for job in scheduler.get_jobs()}
        order = [*(j for j in _FIRST_JOBS if j in jobs)]
        order += [j for j in jobs if j not in order and j != DISPATCH_JOB_ID]
        if DISPATCH_JOB_ID in jobs:
            order.append(DISPATCH_JOB_ID)
        sent = 0
        for job_id in order:
            job = jobs[job_id]
            try:
                result: Any = await job.func(*job.args, **job.kwargs)
            except Exception:
                log.exception("sandbox: job %s failed", job_id)
                continue
            sent += int(getattr(result, "sent", 0) or 0) if job_id == DISPATCH_JOB_ID else 0
        return AdvanceReport(now=self.clock.now(), jobs=order, sent=sent)


class Sandbox:
    """Starts and stops everything the sandbox runs, inside the current event loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start: datetime | None = None,
        database_dir: Path | None = None,
        console_port: int = 0,
    ) -> None:
        self._base_settings = settings
        self._host = host
        self._port = port
        self._console_port = console_port
        self._console: web.AppRunner | None = None
        self._database: Database | None = None
        self.console_url: str | None = None
        self.clock = ManualClock(start or default_start(settings.zone))
        self._own_dir = database_dir is None
        self._dir = database_dir or Path(tempfile.mkdtemp(prefix="jiayi-sandbox-"))
        self.botapi = BotAPIServer(bot_username="jiayi_sandbox_bot", bot_first_name="家医 jiayi")
        self.control = RunningApp(started=asyncio.Event(), stop=asyncio.Event())
        self.web: ChatWeb | None = None
        self.settings: Settings | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self._dir / 'sandbox.db'}"

    async def start(self) -> str:
        """Returns the web chat's URL once the bot is polling."""
        base_url = await self.botapi.start()
        settings = self._base_settings.model_copy(
            update={
                "bot_token": SecretStr(self.botapi.token),
                "telegram_api_url": base_url,
                "database_url": self.database_url,
                "admin_ids": self._base_settings.admin_ids | {DEMO_OPERATOR_USER_ID},
                "redis_url": None,
                "bot_username": self.botapi.bot_username,
            }
        )
        await migrate(settings.database_url)
        self._database = database = open_database(settings.database_url)
        await seed_demo(database.uow_factory(), self.clock, timezone=settings.timezone)
        # The centre console on its own port, on the sandbox's database and clock; its URL
        # goes into the bot's settings so /console links point at it.
        self._console, self.console_url = await start_console(
            build_console_app(settings, database.uow_factory, self.clock),
            self._host,
            self._console_port,
        )
        settings = settings.model_copy(update={"console_url": self.console_url})
        self.settings = settings
        # As if everyone seeded had opened the bot once: pushes can reach them.
        for persona in PERSONAS:
            self.botapi.open_chat(persona.user)
        for resident in DEMO_RESIDENTS:
            if persona_by_id(resident.telegram_user_id) is None:
                self.botapi.open_chat(TgUser(resident.telegram_user_id, resident.name))
        self._task = task = asyncio.create_task(
            run(settings, clock=self.clock, control=self.control)
        )
        started = asyncio.create_task(self.control.started.wait())
        done, _ = await asyncio.wait(
            {task, started}, timeout=STARTUP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            started.cancel()
            task.result()  # re-raise why the bot died
            raise RuntimeError("the bot stopped during start-up")
        if started not in done:
            started.cancel()
            raise RuntimeError("the bot did not start polling in time")
        self.web = ChatWeb(
            self.botapi,
            SandboxClock(self.clock, self.control),
            PERSONAS,
            settings.zone,
            console_login=self.console_login,
        )
        return await self.web.start(self._host, self._port)

    async def console_login(self) -> str:
        """A one-time sign-in link to the console for the demo operator (what /console in
        the operator's chat answers)."""
        assert self._database is not None
        assert self.settings is not None
        link = await webconsole.create_login(
            self._database.uow_factory(), self.clock, self.settings, DEMO_OPERATOR_USER_ID
        )
        return link.url

    @property
    def bot_task(self) -> asyncio.Task[None] | None:
        return self._task

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self._task is not None:
            self.control.stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, STARTUP_TIMEOUT)
            self._task = None
        if self._console is not None:
            await self._console.cleanup()
            self._console = None
        if self._database is not None:
            await self._database.dispose()
            self._database = None
        await self.botapi.stop()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    announce: Callable[[str], None],
    start: datetime | None = None,
    console_port: int = 0,
) -> None:
    """Runs the sandbox until SIGINT/SIGTERM (or until the bot stops by itself)."""
    # The scheduler runs a job every two seconds; its per-run lines would drown the rest.
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    sandbox = Sandbox(settings, host=host, port=port, start=start, console_port=console_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        url = await sandbox.start()
        announce(url)
        log.info("the centre console: %s (the chat page links to it)", sandbox.console_url)
        assert sandbox.bot_task is not None
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({waiter, sandbox.bot_task}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        await sandbox.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
