"""The centre console in Chromium, beside the sandbox's chat: the operator signs in through
the bot's one-time link and sees the start page; the link cannot be used twice; the chat
page's "Centre console" opens it signed in; sign-out ends it."""

from __future__ import annotations

import pytest

from tests.browser.console import open_console_from_chat, sign_in_through_bot, use_language
from tests.browser.test_sandbox import CHROMIUM, WAIT_MS, sandbox_url

pytestmark = pytest.mark.browser
__all__ = ["sandbox_url"]  # the fixture, shared with test_sandbox.py


async def test_operator_signs_in_through_the_bots_link_and_sees_the_console(
    sandbox_url: tuple[object, str],
) -> None:
    from playwright.async_api import async_playwright, expect

    _, url = sandbox_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = await browser.new_context(viewport={"width": 1180, "height": 760})
            chat = await context.new_page()
            await chat.goto(url)
            console = await sign_in_through_bot(chat)
            await use_language(console, "en")
            await expect(console.locator("main")).to_contain_text(
                "signed in as the centre's operator"
            )
            await expect(console.get_by_role("link", name="Doctors")).to_be_visible()
            await use_language(console, "zh-CN")
            await expect(console.locator("main")).to_contain_text("您以中心管理员身份登录")

            # The same link, opened again, is refused.
            link = chat.locator(".msg.bot a[href*='/login/']").last
            href = await link.get_attribute("href")
            assert href is not None
            other = await browser.new_context()
            again = await other.new_page()
            response = await again.goto(href)
            assert response is not None
            assert response.status == 403
            await expect(again.locator("main h1")).to_have_text("此登录链接无法使用")
            await other.close()

            # Signing out ends the session; the console asks to sign in again.
            await console.get_by_role("button", name="退出登录").click()
            await expect(console.locator("main h1")).to_have_text("您已退出登录")
            await console.goto(console.url.rsplit("/", 1)[0] + "/")
            await expect(console.locator("main h1")).to_have_text("请先登录")

            # The chat page's shortcut opens the console signed in as the operator.
            shortcut = await open_console_from_chat(chat)
            await expect(shortcut.locator("main")).to_contain_text("您以中心管理员身份登录")
            await shortcut.get_by_role("link", name="医生").click()
            await expect(shortcut.locator("main h1")).to_have_text("医生", timeout=WAIT_MS)
            await expect(shortcut.locator("main table")).to_contain_text("王医生")
        finally:
            await browser.close()
