"""The sandbox page in headless Chromium, clicked through as a newcomer would: sign up, add a
child, book the child's vaccination, move the clock a day on, and see the 24-hour reminder.

Needs Debian's chromium (/usr/bin/chromium; `.ci/run` installs it) and the `playwright`
package (dev extra; its own browser downloads are not used). Without Chromium the test fails
with a message saying so; set JIAYI_SKIP_BROWSER_TESTS=1 to skip it on a machine without one.
Screenshots of the key screens go to docs/screenshots/ (shown in the README): written when
missing, and rewritten with JIAYI_UPDATE_SCREENSHOTS=1 (check-in codes are random, so rewriting
them on every run would leave the working tree changed after each `make test`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from jiayi.sandbox.web.runner import Sandbox
from jiayi.services import booking
from jiayi.services.database import open_database
from jiayi.services.demo import DEMO_NEW_USER_ID
from jiayi.services.settings import Settings
from tests.conftest import IDLE_TIMERS, T0

CHROMIUM = Path(os.environ.get("JIAYI_CHROMIUM", "/usr/bin/chromium"))
SKIP_ENV = "JIAYI_SKIP_BROWSER_TESTS"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 20_000

pytestmark = pytest.mark.browser


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return None


def _keep_screenshot(target: Path, image: bytes) -> None:
    assert image.startswith(b"\x89PNG")
    if os.environ.get("JIAYI_UPDATE_SCREENSHOTS") == "1" or not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(image)


@pytest.fixture
async def sandbox_url() -> AsyncIterator[tuple[Sandbox, str]]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{missing} ({SKIP_ENV}=1)")
        pytest.fail(f"{missing}; or set {SKIP_ENV}=1 to skip browser tests", pytrace=False)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        **IDLE_TIMERS,  # type: ignore[arg-type]  # deliveries come from the clock control
    )
    sandbox = Sandbox(settings, start=T0)
    url = await sandbox.start()
    try:
        yield sandbox, url
    finally:
        await sandbox.stop()


async def test_newcomer_signs_up_books_a_childs_vaccination_and_is_reminded(
    sandbox_url: tuple[Sandbox, str],
) -> None:
    from playwright.async_api import Page, async_playwright, expect

    sandbox, url = sandbox_url

    def bot_message(text: str):  # type: ignore[no-untyped-def]
        return page.locator(".msg.bot").filter(has_text=text).last

    async def see(text: str):  # type: ignore[no-untyped-def]
        message = bot_message(text)
        await expect(message).to_be_visible(timeout=WAIT_MS)
        return message

    async def click(label: str) -> None:
        await page.locator("#messages").get_by_role("button", name=label, exact=True).last.click()

    async def type_and_send(text: str) -> None:
        await page.locator("#composer-input").fill(text)
        await page.locator("#composer-input").press("Enter")

    async def screenshot(page: Page, name: str) -> None:
        target = SCREENSHOTS / f"{name}.png"
        _keep_screenshot(target, await page.screenshot())

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = await browser.new_page(viewport={"width": 1180, "height": 760})
            await page.goto(url)
            await expect(page.locator("#persona-new")).to_have_class("active")
            await expect(page.locator("#clock-now")).to_have_text("Mon 2026-11-23 10:00")

            # Sign up, from the command menu.
            await page.locator("#menu-button").click()
            await page.locator("#commands-menu").get_by_text("/start").click()
            await see("Please choose your language")
            await click("English")
            await see("Before we start: your health data")
            await screenshot(page, "01-consent")
            await click("I agree")
            await see("What year were you born?")
            await type_and_send("1991")
            await see("What is your sex?")
            await click("Female")
            await see("Do any of these apply to you?")
            await click("None of these")
            await see("Choose your family doctor")
            await page.locator("#messages").get_by_role("button", name="Dr Li").last.click()
            await see("You're all set!")

            # Add a toddler.
            await type_and_send("/family")
            await see("You haven't added anyone yet")
            await click("Add a family member")
            await see("Who would you like to add?")
            await click("Child")
            await see("what name should we use")
            await type_and_send("Mei")
            await see("Their date of birth?")
            await type_and_send("2025-05-20")
            await see("Their sex?")
            await click("Female")
            # A child: no conditions question (none fits her age).
            await see("Consent for Mei")
            await click("I confirm")
            await see("Added Mei.")

            # Book her vaccination, two days ahead.
            await type_and_send("/book")
            await see("What would you like to book?")
            await click("Childhood vaccinations")
            await see("Who is the appointment for?")
            await click("Mei")
            days = await see("Choose a day:")
            await days.locator("button.kb", has_text="free").nth(1).click()
            times = await see("choose a time")
            await screenshot(page, "02-choose-time")
            await times.locator("button.kb", has_text="free").first.click()
            await see("Please check and confirm")
            await click("Confirm booking")
            booked = await see("Booked ✓")
            await expect(booked).to_contain_text("Childhood vaccinations for Mei")
            await screenshot(page, "03-booked")

            # A day later the 24-hour reminder arrives, with its buttons.
            await page.locator("#advance-day").click()
            await expect(page.locator("#clock-now")).to_have_text("Tue 2026-11-24 10:00")
            reminder = await see("Reminder: Childhood vaccinations tomorrow")
            await expect(reminder.locator("button.kb")).to_have_text(
                ["I'll be there", "Reschedule", "Cancel appointment"]
            )
            await expect(page.locator("#clock-status")).to_contain_text(
                "delivered", timeout=60_000
            )
            await reminder.scroll_into_view_if_needed()
            await screenshot(page, "04-reminder")

            # Another persona's chat, in Chinese: 张阿姨's seasonal tips.
            await page.locator("#persona-elderly").click()
            await expect(page.locator("#whoami")).to_contain_text("张阿姨")
            await expect(page.locator(".msg.bot").first).to_be_visible(timeout=WAIT_MS)
            await screenshot(page, "05-elderly-resident")

            # Her home screen: the persistent reply keyboard, in her language (#21).
            await type_and_send("/menu")
            keyboard = page.locator("#reply-keyboard")
            await expect(keyboard.get_by_role("button", name="预约", exact=True)).to_be_visible(
                timeout=WAIT_MS
            )
            await expect(keyboard.locator("button")).to_have_text(
                ["预约", "我的预约", "问医生", "更多"]
            )
            await screenshot(page, "06-elderly-home")

            # Typed symptoms are never dismissed: the emergency answer comes first, alone.
            await type_and_send("我胸口疼得厉害，喘不上气")
            emergency = await see("如果情况紧急，请马上拨打 120 急救电话")
            await emergency.scroll_into_view_if_needed()
            await screenshot(page, "07-emergency")
        finally:
            await browser.close()

    database = open_database(sandbox.database_url)
    try:
        [appointment] = await booking.my_appointments(
            database.uow_factory(), sandbox.clock, DEMO_NEW_USER_ID
        )
    finally:
        await database.dispose()
    # What the clicks did is what the database holds: Mei's vaccination, a day from now.
    assert (appointment.service_code, appointment.person_name) == ("child_vaccines", "Mei")
    assert timedelta(0) < appointment.starts_at - sandbox.clock.now() <= timedelta(hours=24)
