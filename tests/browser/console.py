"""Signing in to the centre console in Chromium, for every browser test that needs it.

    from tests.browser.console import sign_in_through_bot, open_console_from_chat

    console = await sign_in_through_bot(page)        # /console in the operator's chat
    console = await open_console_from_chat(page)     # the chat page's "Centre console"

Both start from a page showing the sandbox's web chat and return a new page (tab) on the
console's start page, signed in as the demo operator (or `persona`, e.g. "doctor").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: collecting tests must not need playwright
    from playwright.async_api import Page

WAIT_MS = 20_000
# The start page's heading, in either language.
HOME_HEADING = re.compile("欢迎|Welcome")


async def sign_in_through_bot(chat: Page, persona: str = "operator") -> Page:
    """As a person does: sends /console in their chat, opens the one-time link the bot
    answers with, presses "Sign in" on the confirmation page."""
    from playwright.async_api import expect

    await chat.locator(f"#persona-{persona}").click()
    await chat.locator("#composer-input").fill("/console")
    await chat.locator("#composer-input").press("Enter")
    answer = chat.locator(".msg.bot").filter(has_text="/login/").last
    await expect(answer).to_be_visible(timeout=WAIT_MS)
    async with chat.context.expect_page() as opened:
        await answer.locator("a[href*='/login/']").last.click()
    console = await opened.value
    await console.wait_for_load_state()
    await (
        console.get_by_role("button", name="登录")
        .or_(console.get_by_role("button", name="Sign in"))
        .click()
    )
    await expect(console.locator("main h1")).to_contain_text(HOME_HEADING, timeout=WAIT_MS)
    return console


async def open_console_from_chat(chat: Page) -> Page:
    """The sandbox's shortcut: "Centre console" beside the chat opens it as the operator."""
    from playwright.async_api import expect

    async with chat.context.expect_page() as opened:
        await chat.locator("#console-open button").click()
    console = await opened.value
    await console.wait_for_load_state()
    await expect(console.locator("main h1")).to_contain_text(HOME_HEADING, timeout=WAIT_MS)
    return console


async def use_language(console: Page, locale: str) -> None:
    """Switches the console's language (the link in its header) if it is not `locale`."""
    from playwright.async_api import expect

    if await console.locator("html").get_attribute("lang") != locale:
        await console.locator(f"header a[lang='{locale}']").click()
        await expect(console.locator("html")).to_have_attribute("lang", locale)
