"""`jiayi sandbox`, and `jiayi run` without a token, as a newcomer starts them: a separate
process that prints one URL, serves the web chat there, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

STARTUP_TIMEOUT = 60.0
URL = re.compile(rb"open (http://127\.0\.0\.1:\d+/)")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sandbox", "--port", "0"], b"jiayi sandbox is running"),
        (["run"], b"JIAYI_BOT_TOKEN is not set: starting the local sandbox"),
    ],
)
async def test_sandbox_process_prints_a_url_serves_the_chat_and_stops_on_sigterm(
    tmp_path: Path, args: list[str], says: bytes
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIAYI_")}
    env["JIAYI_SANDBOX_PORT"] = "0"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jiayi.bot",
        *args,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = b""
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while (found := URL.search(output)) is None:
                line = await process.stdout.readline()
                assert line, output.decode()
                output += line
        url = found.group(1).decode()
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                assert response.status == 200
                assert "jiayi sandbox" in await response.text()
            async with http.get(f"{url}api/clock") as response:
                # Daytime at the centre, whatever the hour here: quiet hours hold nothing back.
                assert (await response.json())["local"].endswith(" 10:00")
            async with http.post(
                f"{url}api/chats/9000000010/messages", json={"text": "/start"}
            ) as response:
                assert response.status == 200
            async with http.get(f"{url}api/chats/9000000010/wait?v=0.1.0.0") as response:
                assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
    log = (output + rest).decode()
    assert process.returncode == 0, log
    assert says.decode() in log
    assert len(URL.findall(output + rest)) == 1  # one URL to open
    assert "Traceback" not in log
    assert os.listdir(tmp_path) == []  # the fresh database lived in a temporary folder
