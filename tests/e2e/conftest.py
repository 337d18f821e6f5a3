"""End-to-end: the real bot (the `jiayi run` code path) polls the in-repo Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from jiayi.bot.app import RunningApp, run
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, SentMessage, TgUser
from jiayi.scheduler.jobs import PushJobs
from jiayi.services.clock import ManualClock
from jiayi.services.settings import Settings
from tests.conftest import IDLE_TIMERS

TOKEN = "123456789:TEST-token-for-e2e"
STARTUP_TIMEOUT = 30.0


class RunningBot:
    """Starts, stops and restarts the bot as a task in this event loop."""

    def __init__(self, settings: Settings, clock: ManualClock) -> None:
        self.settings = settings
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._control: RunningApp | None = None

    async def start(self) -> None:
        self._control = control = RunningApp(started=asyncio.Event(), stop=asyncio.Event())
        self._task = task = asyncio.create_task(
            run(self.settings, clock=self.clock, control=control)
        )
        started = asyncio.create_task(control.started.wait())
        done, _ = await asyncio.wait(
            {task, started}, timeout=STARTUP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            started.cancel()
            task.result()  # re-raise why it died
        if started not in done:
            started.cancel()
            raise AssertionError("bot did not start polling in time")

    async def stop(self) -> None:
        if self._task is None or self._control is None:
            return
        self._control.stop.set()
        await asyncio.wait_for(self._task, STARTUP_TIMEOUT)
        self._task = None

    @property
    def jobs(self) -> PushJobs:
        """The running bot's scheduler jobs, to run on demand instead of waiting for them."""
        assert self._control is not None
        assert self._control.jobs is not None
        return self._control.jobs

    async def after_start(self) -> None:
        """Waits for the start-up work that runs beside polling (menus, care planning)."""
        assert self._control is not None
        assert self._control.after_start is not None
        await self._control.after_start

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
def settings(database_url: str, botapi: BotAPIServer) -> Settings:
    return Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
        # Tests run the jobs themselves (RunningBot.jobs); start-up plans once, timers stay idle.
        **IDLE_TIMERS,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def jiayi(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    await running.stop()


def make_chat(
    botapi: BotAPIServer,
    user_id: int = 1001,
    *,
    first_name: str = "小明",
    language_code: str | None = "zh-hans",
) -> ChatClient:
    return ChatClient(
        botapi, TgUser(id=user_id, first_name=first_name, language_code=language_code)
    )


async def open_resident_card(doctor: ChatClient, name: str) -> SentMessage:
    """The doctor's own way to a resident's card: /residents, search by name, tap the name.

    Returns the card, so a test presses the buttons the doctor is really offered."""
    await doctor.send("/residents")
    await doctor.wait_for("My residents")
    await doctor.send(name)  # search by name
    found = await doctor.wait_for(predicate=lambda m: m.buttons and name in m.button_texts())
    await doctor.press(name, message=found)
    return await doctor.wait_for("Upcoming appointments")
