"""The `jiayi run` command itself, as an operator starts it: a separate process over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import redis.asyncio as aioredis

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.settings import Settings
from tests.e2e.conftest import TOKEN, RunningBot, make_chat


async def test_jiayi_run_process_migrates_answers_and_stops_on_sigterm(
    botapi: BotAPIServer, tmp_path: Path
) -> None:
    database = tmp_path / "fresh.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    env |= {
        "JIAYI_BOT_TOKEN": TOKEN,
        "JIAYI_TELEGRAM_API_URL": botapi.base_url,
        "JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jiayi.bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        chat = make_chat(botapi, 5005, first_name="Process Tester", language_code="en")
        await chat.send("/start")
        await chat.wait_for("Please choose your language", timeout=60)
        await chat.press("English")
        await chat.wait_for("your health data")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    log = output.decode()
    assert process.returncode == 0, log
    assert database.exists()  # migrations ran on a file that did not exist
    assert "Traceback" not in log
    assert "Process Tester" not in log  # no personal data in the logs


async def test_sign_up_survives_a_restart_with_redis_state(
    botapi: BotAPIServer, settings: Settings, clock: ManualClock, redis_url: str
) -> None:
    """Conversation state lives in Redis and survives a restart of the bot.

    Runs against the real Redis (JIAYI_TEST_REDIS_URL, default 127.0.0.1:6379/15); only an
    unreachable server skips, and JIAYI_REQUIRE_REDIS=1 (set by .ci/run) makes that a failure.
    Mutation tried: `build_fsm_storage` in bot/app.py ignoring `redis_url` (MemoryStorage always):
    the restarted bot has forgotten the consent step and the Redis database holds no key."""
    running = RunningBot(settings.model_copy(update={"redis_url": redis_url}), clock)
    await running.start()
    try:
        chat = make_chat(botapi, 6006, language_code="en")
        await chat.send("/start")
        await chat.wait_for("Please choose your language")
        await chat.press("English")
        await chat.wait_for("your health data")
        redis = aioredis.from_url(redis_url)
        try:
            assert await redis.keys("fsm:*"), "the conversation state is not in Redis"
        finally:
            await redis.aclose()
        await running.restart()
        # The conversation goes on where it was: the consent buttons still work.
        await chat.press("I agree")
        await chat.wait_for("What year were you born?")
    finally:
        await running.stop()
