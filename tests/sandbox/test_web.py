"""The sandbox's web chat over HTTP, without a browser: the real bot and scheduler run behind it
(`Sandbox` is what `jiayi sandbox` starts), so these are end-to-end through the page's API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar

from jiayi.sandbox.web.runner import Sandbox
from jiayi.services import booking, family
from jiayi.services.database import open_database
from jiayi.services.demo import (
    DEMO_DOCTOR_USER_ID,
    DEMO_ELDERLY_USER_ID,
    DEMO_NEW_USER_ID,
    DEMO_OPERATOR_USER_ID,
    DEMO_PARENT_USER_ID,
)
from jiayi.services.settings import Settings
from tests.conftest import IDLE_TIMERS, T0

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Page:
    """What the page's JavaScript does, as plain HTTP calls."""

    sandbox: Sandbox
    http: aiohttp.ClientSession
    url: str
    # Per user: the bot's messages (id -> text and buttons) as shown before their last action.
    shown: dict[int, dict[int, tuple[str, str]]] = field(default_factory=dict)

    async def get(self, path: str) -> Any:
        async with self.http.get(self.url + path) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: object, status: int = 200) -> Any:
        async with self.http.post(self.url + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def chat(self, user_id: int) -> dict[str, Any]:
        return await self.get(f"api/chats/{user_id}")

    async def _mark(self, user_id: int) -> None:
        """Remembers the bot's messages as the page shows them before a user action."""
        state = await self.chat(user_id)
        self.shown[user_id] = {m["id"]: _look(m) for m in state["messages"] if m["from"] == "bot"}

    async def send(self, user_id: int, text: str) -> None:
        await self._mark(user_id)
        await self.post(f"api/chats/{user_id}/messages", {"text": text})

    async def wait_for(
        self, user_id: int, text: str, *, button: str | None = None
    ) -> dict[str, Any]:
        """Long-polls like the page until a bot message containing `text` (and a `button`
        labelled so) is shown, sent or edited since the user's last action: a message that
        was already on screen before it cannot answer for the reply."""
        version = ""
        before = self.shown.get(user_id, {})
        for _ in range(20):
            state = await self.chat(user_id)
            for message in reversed(state["messages"]):
                labels = [b["text"] for row in message.get("buttons", []) for b in row]
                if (
                    message["from"] == "bot"
                    and before.get(message["id"]) != _look(message)
                    and text in message["text"]
                    and (button is None or button in labels)
                ):
                    return message
            if state["version"] == version:
                break
            version = state["version"]
            await self.get(f"api/chats/{user_id}/wait?v={version}")
        raise AssertionError(f"no new bot message with {text!r}: {state['messages'][-3:]!r}")

    async def press(self, user_id: int, message: dict[str, Any], label: str) -> None:
        data = next(b["data"] for row in message["buttons"] for b in row if label in b["text"])
        await self._mark(user_id)
        await self.post(
            f"api/chats/{user_id}/presses", {"message_id": message["id"], "data": data}
        )


def _look(message: dict[str, Any]) -> tuple[str, str]:
    """What the user sees of a message: its text and its buttons."""
    return message["text"], repr(message.get("buttons", []))


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        # The clock control runs the jobs; the timers stay idle during a test.
        **IDLE_TIMERS,  # type: ignore[arg-type]
    )
    sandbox = Sandbox(settings, start=T0)
    url = await sandbox.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Page(sandbox, http, url)
    finally:
        await sandbox.stop()


async def test_page_and_personas_are_served(page: Page) -> None:
    async with page.http.get(page.url) as response:
        assert response.status == 200
        html = await response.text()
    assert "/static/chat.js" in html
    for name in ("chat.js", "chat.css"):
        async with page.http.get(f"{page.url}static/{name}") as response:
            assert response.status == 200
    async with page.http.get(f"{page.url}static/..%2Fchat.py") as response:
        assert response.status == 404

    personas = await page.get("api/personas")
    assert {p["id"]: p["role"] for p in personas} == {
        DEMO_NEW_USER_ID: "New resident",
        DEMO_ELDERLY_USER_ID: "Elderly resident",
        DEMO_PARENT_USER_ID: "Parent of a toddler",
        DEMO_DOCTOR_USER_ID: "Family doctor",
        DEMO_OPERATOR_USER_ID: "Operator",
    }
    assert page.sandbox.settings is not None
    assert DEMO_OPERATOR_USER_ID in page.sandbox.settings.admin_ids
    clock = await page.get("api/clock")
    assert clock["local"] == "2026-11-23 10:00"


async def test_each_persona_has_their_own_chat_and_command_menu(page: Page) -> None:
    await page.send(DEMO_NEW_USER_ID, "/start")
    welcome = await page.wait_for(DEMO_NEW_USER_ID, "Please choose your language")
    assert [b["text"] for row in welcome["buttons"] for b in row] == ["简体中文", "English"]
    new_chat = await page.chat(DEMO_NEW_USER_ID)
    assert new_chat["messages"][0] == {"id": 1, "from": "user", "text": "/start"}
    assert new_chat["commands"][0] == {"command": "menu", "description": "Main menu"}

    # Switching persona: 张阿姨 sees her own (empty) chat, and the menu in Chinese.
    elderly = await page.chat(DEMO_ELDERLY_USER_ID)
    assert elderly["persona"]["name"] == "张阿姨"
    assert not any("choose your language" in m["text"] for m in elderly["messages"])
    assert elderly["commands"][0] == {"command": "menu", "description": "主菜单"}
    await page.send(DEMO_ELDERLY_USER_ID, "/profile")
    profile = await page.wait_for(DEMO_ELDERLY_USER_ID, "高血压")
    assert "王医生" in profile["text"]

    # The doctor persona is bound to Dr Wang.
    await page.send(DEMO_DOCTOR_USER_ID, "/today")
    await page.wait_for(DEMO_DOCTOR_USER_ID, "预约列表")  # not "for family doctors only"


async def test_the_doctor_and_the_operator_have_the_doctors_command_menu(page: Page) -> None:
    assert page.sandbox.control.after_start is not None
    await page.sandbox.control.after_start
    for user_id in (DEMO_DOCTOR_USER_ID, DEMO_OPERATOR_USER_ID):
        commands = [c["command"] for c in (await page.chat(user_id))["commands"]]
        assert commands[:3] == ["today", "tomorrow", "checkin"]
        assert "menu" in commands
    elderly = [c["command"] for c in (await page.chat(DEMO_ELDERLY_USER_ID))["commands"]]
    assert "today" not in elderly


async def test_buttons_are_pressed_by_their_data_and_forged_presses_are_refused(
    page: Page,
) -> None:
    """Mutation tried (on the helper): `Page.send` not marking what is already shown: the
    second /start's wait returns the first welcome, and the ids below are equal."""
    await page.send(DEMO_NEW_USER_ID, "/start")
    first = await page.wait_for(DEMO_NEW_USER_ID, "Please choose your language")
    # The same words again: only the new answer counts, never the one already on screen.
    await page.send(DEMO_NEW_USER_ID, "/start")
    welcome = await page.wait_for(DEMO_NEW_USER_ID, "Please choose your language")
    assert welcome["id"] > first["id"]
    await page.press(DEMO_NEW_USER_ID, welcome, "English")
    consent = await page.wait_for(DEMO_NEW_USER_ID, "your health data")
    assert "I agree" in [b["text"] for row in consent["buttons"] for b in row]

    refused = await page.post(
        f"api/chats/{DEMO_NEW_USER_ID}/presses",
        {"message_id": consent["id"], "data": "forged:1"},
        status=400,
    )
    assert refused["error"] == "the message has no such button"
    await page.post(
        f"api/chats/{DEMO_NEW_USER_ID}/presses", {"message_id": 999, "data": "x"}, status=400
    )
    await page.post(f"api/chats/{DEMO_NEW_USER_ID}/messages", {"text": "  "}, status=400)
    async with page.http.get(f"{page.url}api/chats/12345") as response:
        assert response.status == 404  # not a persona


async def test_clock_advance_runs_the_jobs_and_the_24_hour_reminder_arrives(page: Page) -> None:
    database = open_database(page.sandbox.database_url)
    clock = page.sandbox.clock
    try:
        [child] = await family.list_members(database.uow_factory(), DEMO_PARENT_USER_ID)
        services = await booking.list_services(database.uow_factory(), DEMO_PARENT_USER_ID)
        vaccines = next(s for s in services if s.code == "child_vaccines")
        days = await booking.available_days(
            database.uow_factory(), clock, DEMO_PARENT_USER_ID, vaccines.id, child.id, SHANGHAI
        )
        day = [d.day for d in days if d.free][1]
        slot = next(
            s
            for s in await booking.slots_on(
                database.uow_factory(),
                clock,
                DEMO_PARENT_USER_ID,
                vaccines.id,
                child.id,
                day,
                SHANGHAI,
            )
            if s.free
        )
        appointment = await booking.book(
            database.uow_factory(), clock, DEMO_PARENT_USER_ID, slot.id, child.id, SHANGHAI
        )
    finally:
        await database.dispose()

    before = await page.chat(DEMO_PARENT_USER_ID)
    assert not any("Reminder" in m["text"] for m in before["messages"])
    due = appointment.starts_at - timedelta(hours=24) - clock.now()
    minutes = int(due.total_seconds() // 60) + 1
    moved = await page.post("api/clock", {"minutes": minutes})
    assert moved["sent"] >= 1
    assert moved["jobs"][-1] == "dispatch_outbox"
    assert moved["local"] == (T0 + timedelta(minutes=minutes)).astimezone(SHANGHAI).strftime(
        "%Y-%m-%d %H:%M"
    )
    reminder = await page.wait_for(
        DEMO_PARENT_USER_ID, "Reminder: Childhood vaccinations tomorrow"
    )
    assert [b["text"] for row in reminder["buttons"] for b in row] == [
        "I'll be there",
        "Reschedule",
        "Cancel appointment",
    ]
    after = await page.chat(DEMO_PARENT_USER_ID)
    assert after["version"] != before["version"]

    # The .ics the bot sends is served as a download.
    await page.send(DEMO_PARENT_USER_ID, "/appointments")
    listed = await page.wait_for(DEMO_PARENT_USER_ID, "Your upcoming appointments")
    await page.press(DEMO_PARENT_USER_ID, listed, "Childhood vaccinations")
    details = await page.wait_for(
        DEMO_PARENT_USER_ID, appointment.check_in_code, button="Add to calendar"
    )
    await page.press(DEMO_PARENT_USER_ID, details, "Add to calendar")
    for _ in range(20):
        state = await page.chat(DEMO_PARENT_USER_ID)
        documents = [m for m in state["messages"] if m.get("kind") == "document"]
        if documents:
            break
        await page.get(f"api/chats/{DEMO_PARENT_USER_ID}/wait?v={state['version']}")
    [document] = documents
    assert document["file"]["name"].endswith(".ics")
    async with page.http.get(page.url + document["file"]["url"].lstrip("/")) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        ics = await response.read()
    event = next(iter(Calendar.from_ical(ics).walk("VEVENT")))
    assert event.decoded("dtstart") == appointment.starts_at


@pytest.mark.parametrize("minutes", [0, -60, "60", 1.5, 366 * 24 * 60 + 1])
async def test_clock_only_moves_forward_by_whole_minutes_up_to_a_year(
    page: Page, minutes: object
) -> None:
    await page.post("api/clock", {"minutes": minutes}, status=400)
    assert page.sandbox.clock.now() == T0
