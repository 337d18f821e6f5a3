"""The web chat's view of a chat, for what any bot can send: formatted text, photos, documents,
edits, command menus per scope and language. A real aiogram `Bot` sends over HTTP."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.sandbox.web.chat import LONG_POLL_SECONDS, ChatWeb
from jiayi.sandbox.web.personas import Persona

USER = TgUser(9_100, "Lin", language_code="en")
OTHER = TgUser(9_200, "张", language_code="zh-hans")
HELD_FOR = 0.5  # seconds a poll must stay open with nothing new (the server holds up to 25)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class StillClock:
    instant: datetime = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    moved: list[timedelta] = field(default_factory=list)

    def now(self) -> datetime:
        return self.instant

    async def advance(self, delta: timedelta) -> StillClock.Report:
        self.moved.append(delta)
        self.instant += delta
        return StillClock.Report(self.instant, ["plan", "dispatch_outbox"], 0)

    @dataclass
    class Report:
        now: datetime
        jobs: list[str]
        sent: int


@pytest.fixture
async def web(server: BotAPIServer) -> AsyncIterator[tuple[ChatWeb, str]]:
    personas = [Persona("a", USER, "New resident", ""), Persona("b", OTHER, "Elderly", "")]
    for persona in personas:
        server.open_chat(persona.user)
    chat_web = ChatWeb(server, StillClock(), personas, ZoneInfo("Asia/Shanghai"))
    url = await chat_web.start()
    try:
        yield chat_web, url
    finally:
        await chat_web.stop()


async def _state(url: str, user: TgUser) -> dict:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as http, http.get(f"{url}api/chats/{user.id}") as r:
        assert r.status == 200
        return await r.json()  # type: ignore[no-any-return]


async def test_text_photo_document_and_edits_as_the_page_shows_them(
    web: tuple[ChatWeb, str], bot: Bot
) -> None:
    _, url = web
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok:1")]]
    )
    text = await bot.send_message(
        USER.id,
        "<b>Hi</b> 👋 <i>there</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
    await bot.send_photo(USER.id, BufferedInputFile(_png(3, 2), "qr.png"), caption="Your voucher")
    await bot.send_document(
        USER.id, BufferedInputFile(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "visit.ics")
    )
    await bot.edit_message_text(
        "<b>Hi</b> &lt;script&gt;x&lt;/script&gt; again",
        chat_id=USER.id,
        message_id=text.message_id,
        parse_mode="HTML",
    )

    state = await _state(url, USER)
    first, photo, document = state["messages"]
    # Tags the bot escaped stay text; the page gets plain text plus Telegram's entities.
    assert first["text"] == "Hi <script>x</script> again"
    assert first["entities"] == [{"offset": 0, "length": 2, "type": "bold"}]
    assert first["edited"] is True
    assert first["buttons"] == []  # an edit without markup removes the keyboard, as Telegram
    assert photo["kind"] == "photo"
    assert (photo["file"]["width"], photo["file"]["height"], photo["text"]) == (
        3,
        2,
        "Your voucher",
    )
    assert document["file"]["name"] == "visit.ics"
    async with aiohttp.ClientSession() as http:
        async with http.get(url + photo["file"]["url"].lstrip("/")) as response:
            assert response.headers["Content-Type"] == "image/png"
            assert await response.read() == _png(3, 2)
        async with http.get(url + document["file"]["url"].lstrip("/")) as response:
            assert "visit.ics" in response.headers["Content-Disposition"]
            assert (await response.read()).startswith(b"BEGIN:VCALENDAR")
        async with http.get(f"{url}files/nope") as response:
            assert response.status == 404

    other = await _state(url, OTHER)
    assert other["messages"] == []


async def test_command_menu_follows_scope_and_language_like_telegram(
    web: tuple[ChatWeb, str], bot: Bot
) -> None:
    _, url = web
    await bot.set_my_commands([BotCommand(command="menu", description="Menu")])
    await bot.set_my_commands(
        [BotCommand(command="menu", description="主菜单")], language_code="zh"
    )
    assert (await _state(url, USER))["commands"] == [{"command": "menu", "description": "Menu"}]
    assert (await _state(url, OTHER))["commands"] == [{"command": "menu", "description": "主菜单"}]
    # A chat-scoped menu (a doctor's) wins over the default one.
    await bot.set_my_commands(
        [BotCommand(command="today", description="Today")],
        scope=BotCommandScopeChat(chat_id=USER.id),
    )
    assert (await _state(url, USER))["commands"] == [{"command": "today", "description": "Today"}]


async def test_long_poll_returns_when_the_chat_changes(web: tuple[ChatWeb, str], bot: Bot) -> None:
    """The page's long poll is held by the server until the chat changes, then answers at once.

    Mutation tried: `_wait` in sandbox/web/chat.py answering the current version without
    waiting: the poll is no longer pending before the bot sends (and returns the old version).
    """
    _, url = web
    version = (await _state(url, USER))["version"]

    async with aiohttp.ClientSession() as http:

        async def poll() -> str:
            async with http.get(f"{url}api/chats/{USER.id}/wait?v={version}") as response:
                assert response.status == 200
                return str((await response.json())["version"])

        waiting = asyncio.create_task(poll())
        # Nothing has changed yet: the server must still be holding the request.
        done, _ = await asyncio.wait({waiting}, timeout=HELD_FOR)
        assert not done, "the long poll answered before the chat changed"
        await bot.send_message(USER.id, "news")
        # Well inside the server's 25-s poll window: the change, not the timeout, ended it.
        changed = await asyncio.wait_for(waiting, timeout=LONG_POLL_SECONDS / 2)
    assert changed != version
    assert changed == (await _state(url, USER))["version"]
