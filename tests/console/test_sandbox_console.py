"""The sandbox serves the console on its own port, and the chat page's "Centre console" signs
the visitor in as the demo operator (without a browser: the same requests Chromium makes)."""

from __future__ import annotations

import aiohttp

from jiayi.sandbox.web.runner import Sandbox
from jiayi.services.settings import Settings
from tests.conftest import IDLE_TIMERS, T0


async def test_the_chat_pages_console_button_signs_in_as_the_operator() -> None:
    sandbox = Sandbox(Settings(_env_file=None, **IDLE_TIMERS), start=T0)  # type: ignore[call-arg,arg-type]
    chat_url = await sandbox.start()
    try:
        assert sandbox.console_url is not None
        assert sandbox.console_url.rsplit(":", 1)[1] != chat_url.rstrip("/").rsplit(":", 1)[1]
        # unsafe=True: keep cookies of an IP address (127.0.0.1), as browsers do.
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            async with browser.get(chat_url) as page:
                assert 'action="/console"' in await page.text()
            async with browser.post(f"{chat_url}console", allow_redirects=False) as answer:
                assert answer.status == 307  # the browser re-POSTs to the link: "Sign in"
                link = answer.headers["Location"]
            assert link.startswith(f"{sandbox.console_url}/login/")
            async with browser.post(f"{chat_url}console") as landed:
                assert landed.status == 200
                assert str(landed.url) == f"{sandbox.console_url}/"
                assert "您以中心管理员身份登录" in await landed.text()
            # Each press mints its own one-time link: the first one works once, then never.
            async with browser.post(link, allow_redirects=False) as first_use:
                assert first_use.status == 303
            async with browser.post(link, allow_redirects=False) as reused:
                assert reused.status == 403
    finally:
        await sandbox.stop()
