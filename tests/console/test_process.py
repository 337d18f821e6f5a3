"""`jiayi run` serves the console beside the bot, and `jiayi console` alone: separate
processes, as an operator starts them, over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from jiayi.sandbox.botapi import BotAPIServer
from tests.e2e.conftest import TOKEN, make_chat

OPERATOR = 9_700


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _get(url: str, timeout: float = 60.0) -> tuple[int, str]:  # noqa: ASYNC109
    """The first answer from `url`, retrying while the process is still starting."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(timeout * 4)):
            try:
                async with http.get(url, allow_redirects=False) as response:
                    return response.status, await response.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.25)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("command", [["run"], ["console"]])
async def test_the_console_process_serves_and_stops_on_sigterm(
    botapi: BotAPIServer, tmp_path: Path, command: list[str]
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    env |= {
        "JIAYI_BOT_TOKEN": TOKEN,
        "JIAYI_TELEGRAM_API_URL": botapi.base_url,
        "JIAYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "JIAYI_CONSOLE_LISTEN": f"127.0.0.1:{port}",
        "JIAYI_CONSOLE_URL": f"http://127.0.0.1:{port}",
        "JIAYI_ADMIN_IDS": str(OPERATOR),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jiayi.bot",
        *command,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await _get(f"http://127.0.0.1:{port}/healthz") == (200, "ok")
        status, page = await _get(f"http://127.0.0.1:{port}/")
        assert status == 401
        assert "请先登录" in page
        if command == ["run"]:
            # The bot in the same process mints links that point at this console.
            operator = make_chat(botapi, OPERATOR, first_name="Op", language_code="en")
            await operator.send("/console")
            answer = await operator.wait_for("Centre console", timeout=60)
            path = answer.text.split(f"127.0.0.1:{port}", 1)[1].split()[0]
            status, page = await _get(f"http://127.0.0.1:{port}{path}")
            assert status == 200
            assert "登录中心管理台" in page
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    log = output.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
