"""The console's Import page and the bot's contact match, in headless Chromium: the operator
signs in through the bot's one-time link (`/console` in the sandbox chat, con-core's helper),
imports a CSV with one bad row, sees the row error, fixes the file and applies it; then Lin
signs up in the sandbox chat, shares her phone with Telegram's button and confirms the record
the centre holds. Writes docs/screenshots/console-import.png (the import preview) when
missing, or with JIAYI_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jiayi.sandbox.web.runner import Sandbox
from jiayi.services import roster
from jiayi.services.database import open_database
from jiayi.services.demo import DEMO_NEW_PHONE, DEMO_NEW_USER_ID
from jiayi.services.residents import get_profile
from tests.browser.console import sign_in_through_bot, use_language
from tests.browser.test_sandbox import (
    CHROMIUM,
    SCREENSHOTS,
    WAIT_MS,
    _keep_screenshot,
    sandbox_url,
)

__all__ = ["sandbox_url"]  # the fixture, shared with test_sandbox.py
LIN_MOBILE = DEMO_NEW_PHONE.removeprefix("86")  # as the contract system writes it

pytestmark = pytest.mark.browser


async def test_import_with_a_bad_row_fix_apply_then_the_resident_confirms_her_record(
    sandbox_url: tuple[Sandbox, str], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    sandbox, url = sandbox_url

    header = "姓名,手机号,出生日期,性别,慢病,签约医生,签约日期,到期日期\n"
    lin = f"林小姐,{LIN_MOBILE},1991-06-01,女,高血压,demowang,2026-01-01,2026-12-31\n"
    bad = "赵大爷,1380013,1948,男,糖尿病,王医生 Dr Wang,2026-01-01,2026-12-31\n"
    fixed = "赵大爷,13900139000,1948,男,糖尿病,王医生 Dr Wang,2026-01-01,2026-12-31\n"
    first = tmp_path / "签约居民.csv"
    first.write_bytes((header + lin + bad).encode("gbk"))
    second = tmp_path / "签约居民-fixed.csv"
    second.write_bytes((header + lin + fixed).encode("gbk"))

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            chat = await browser.new_page(viewport={"width": 1180, "height": 760})
            await chat.goto(url)
            console = await sign_in_through_bot(chat)
            await console.set_viewport_size({"width": 1180, "height": 760})
            await use_language(console, "en")
            await console.get_by_role("link", name="Import").click()
            await expect(console.get_by_role("heading", level=1)).to_have_text(
                "Import contracted residents"
            )

            # The file with one bad row: the row error, and no way to apply.
            await console.locator('input[type="file"]').set_input_files(str(first))
            await console.get_by_role("button", name="Check the file (dry run)").click()
            bad_row = console.locator("tr.row-error")
            await expect(bad_row).to_contain_text("not a valid phone number: “1380013”")
            await expect(console.locator("tr.row-create")).to_contain_text("林小姐")
            await expect(console.get_by_role("button", name="Apply this import")).to_have_count(0)
            _keep_screenshot(SCREENSHOTS / "console-import.png", await console.screenshot())

            # Fixed and uploaded again: apply.
            await console.locator('input[type="file"]').set_input_files(str(second))
            await console.get_by_role("button", name="Check the file (dry run)").click()
            await expect(console.locator("tr.row-error")).to_have_count(0)
            await console.get_by_role("button", name="Apply this import").click()
            await expect(console.get_by_role("status")).to_contain_text("Imported: 2 new")

            # Lin signs up in the sandbox chat and shares her phone.
            await chat.bring_to_front()
            await chat.locator("#persona-new").click()
            await expect(chat.locator("#persona-new")).to_have_class("active")

            def bot_message(text: str):  # type: ignore[no-untyped-def]
                return chat.locator(".msg.bot").filter(has_text=text).last

            async def click(label: str) -> None:
                await (
                    chat.locator("#messages")
                    .get_by_role("button", name=label, exact=True)
                    .last.click()
                )

            await chat.locator("#composer-input").fill("/start")
            await chat.locator("#composer-input").press("Enter")
            await expect(bot_message("Please choose your language")).to_be_visible(timeout=WAIT_MS)
            await click("English")
            await expect(bot_message("Before we start")).to_be_visible(timeout=WAIT_MS)
            await click("I agree")
            share = chat.locator("#reply-keyboard").get_by_role(
                "button", name="📱 Share my phone number"
            )
            await expect(share).to_be_visible(timeout=WAIT_MS)
            await share.click()
            offer = bot_message("Your family doctor is 王医生 Dr Wang")
            await expect(offer).to_be_visible(timeout=WAIT_MS)
            await expect(offer).to_contain_text("our record lists Hypertension")
            await click("Yes, that's me")
            await expect(bot_message("You're all set!")).to_be_visible(timeout=WAIT_MS)
        finally:
            await browser.close()

    database = open_database(sandbox.database_url)
    try:
        profile = await get_profile(database.uow_factory(), DEMO_NEW_USER_ID)
        async with database.uow_factory() as uow:
            entry = await uow.roster.for_resident(profile.resident.id)
    finally:
        await database.dispose()
    assert profile.doctor is not None
    assert profile.doctor.link_code == "demowang"
    assert profile.resident.birth_year == 1991
    assert entry is not None
    assert entry.phone == roster.normalise_phone(LIN_MOBILE)
