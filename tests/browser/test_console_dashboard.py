"""The centre's console in headless Chromium beside the sandbox's web chat: the operator
signs in with a one-time link, reads the dashboard (residents and their delivered pushes),
moves a service's weekly schedule and sees the new times in the bot's /book, downloads the
district report and finds the database's figures in it; reviews content.

Writes the README screenshots docs/screenshots/console-dashboard.png and
console-content-review.png (when missing, or with JIAYI_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from jiayi.sandbox.web.runner import Sandbox
from jiayi.services.database import Database, open_database
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.browser.console import sign_in_through_bot, use_language
from tests.browser.test_sandbox import (
    CHROMIUM,
    SCREENSHOTS,
    SKIP_ENV,
    _browser_missing,
    _keep_screenshot,
)
from tests.conftest import IDLE_TIMERS, T0

WAIT_MS = 20_000

pytestmark = pytest.mark.browser


@dataclass
class World:
    sandbox: Sandbox
    chat_url: str
    database: Database


@pytest.fixture
async def world() -> AsyncIterator[World]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{missing} ({SKIP_ENV}=1)")
        pytest.fail(f"{missing}; or set {SKIP_ENV}=1 to skip browser tests", pytrace=False)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        **IDLE_TIMERS,  # type: ignore[arg-type]
    )
    sandbox = Sandbox(settings, start=T0)
    chat_url = await sandbox.start()  # the console runs beside the chat, on its own port
    database = open_database(sandbox.database_url)
    try:
        yield World(sandbox, chat_url, database)
    finally:
        await database.dispose()
        await sandbox.stop()


async def _delivered_tips(database: Database, name: str) -> int:
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    async with database.uow_factory() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(m.OutboxMessage)
            .join(m.Resident, m.Resident.id == m.OutboxMessage.resident_id)
            .where(
                m.Resident.display_name == name,
                m.OutboxMessage.kind == "tip",
                m.OutboxMessage.status == "sent",
                m.OutboxMessage.sent_at >= year_start,
            )
        )
    return int(count or 0)


async def test_operator_reads_the_dashboard_moves_a_schedule_and_exports_the_report(
    world: World,
) -> None:
    from playwright.async_api import async_playwright, expect

    database = world.database
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            chat = await browser.new_page(viewport={"width": 1180, "height": 760})
            await chat.goto(world.chat_url)
            await expect(chat.locator("#clock-now")).to_have_text("Mon 2026-11-23 10:00")
            # A day passes in the sandbox: tips are planned and delivered.
            await chat.locator("#advance-day").click()
            await expect(chat.locator("#clock-now")).to_have_text("Tue 2026-11-24 10:00")
            await expect(chat.locator("#clock-status")).to_contain_text(
                "delivered", timeout=60_000
            )

            # Sign in as the operator does: /console in the bot, then the one-time link.
            console = await sign_in_through_bot(chat)
            await console.set_viewport_size({"width": 1280, "height": 1100})
            await use_language(console, "en")

            # The dashboard: each resident with their delivered pushes, as the database has.
            await console.get_by_role("link", name="Dashboard", exact=True).click()
            table = console.locator("#table-residents")
            await expect(table).to_be_visible()
            delivered = await _delivered_tips(database, "张阿姨")
            assert delivered >= 1
            row = table.locator("tr", has_text="张阿姨")
            await expect(row.locator("td").nth(2)).to_have_text(str(delivered))
            await expect(console.locator("#figure-deliveries svg")).to_be_visible()
            await console.evaluate("window.scrollTo(0, 0)")
            _keep_screenshot(SCREENSHOTS / "console-dashboard.png", await console.screenshot())

            # The district report: its figures are the database's.
            async with console.expect_download() as download_info:
                await console.locator("#district-xlsx").click()
            download = await download_info.value
            saved = await download.path()
            report = load_workbook(io.BytesIO(await asyncio.to_thread(saved.read_bytes)))
            summary = {
                r[0]: r[1] for r in report.worksheets[0].iter_rows(min_row=3, values_only=True)
            }
            async with database.uow_factory() as uow:
                signed_up = await uow.session.scalar(
                    select(func.count()).where(m.Resident.onboarded_at.is_not(None))
                )
            assert summary["Residents signed up"] == signed_up
            assert summary["Pushes delivered"] >= delivered

            # Move the child check-up to the afternoon.
            await console.get_by_role("link", name="Services and schedules").click()
            await console.get_by_role("link", name="child_checkup").click()
            form = console.locator("#schedule-form")
            await form.locator('input[name="b0_start"]').fill("15:00")
            await form.locator('input[name="b0_end"]').fill("16:00")
            await form.locator('input[name="b0_slot_minutes"]').fill("30")
            await form.get_by_role("button", name="Save the weekly schedule").click()
            await expect(console.get_by_role("status")).to_contain_text(
                "Residents see the new times"
            )

            # Content review.
            await console.get_by_role("link", name="Content review").click()
            await expect(console.locator("#library")).to_be_visible()
            await expect(console.locator("#planned tbody tr").first).to_be_visible()
            _keep_screenshot(
                SCREENSHOTS / "console-content-review.png", await console.screenshot()
            )
            first_tip = console.locator("#library tbody tr a").first
            await first_tip.click()
            await expect(console.locator("#preview-zh-CN")).to_be_visible()
            await expect(console.locator("#preview-en")).to_be_visible()

            # In the bot, Chen Ming books Xiaobao's check-up: only the new afternoon times.
            await chat.locator("#persona-parent").click()
            await expect(chat.locator("#whoami")).to_contain_text("Chen Ming")
            await chat.locator("#composer-input").fill("/book")
            await chat.locator("#composer-input").press("Enter")
            messages = chat.locator("#messages")
            await expect(
                chat.locator(".msg.bot").filter(has_text="What would you like to book?").last
            ).to_be_visible(timeout=WAIT_MS)
            await messages.get_by_role("button", name="Child health check-up").last.click()
            await expect(
                chat.locator(".msg.bot").filter(has_text="Who is the appointment for?").last
            ).to_be_visible(timeout=WAIT_MS)
            await messages.get_by_role("button", name="Xiaobao").last.click()
            days = chat.locator(".msg.bot").filter(has_text="Choose a day:").last
            await expect(days).to_be_visible(timeout=WAIT_MS)
            await days.locator("button.kb", has_text="free").first.click()
            times = chat.locator(".msg.bot").filter(has_text="choose a time").last
            await expect(times).to_be_visible(timeout=WAIT_MS)
            await expect(times.locator("button.kb", has_text="3:00 pm")).to_be_visible()
            await expect(times.locator("button.kb", has_text="3:30 pm")).to_be_visible()
            await expect(times.locator("button.kb", has_text="8:30 am")).to_have_count(0)
        finally:
            await browser.close()
