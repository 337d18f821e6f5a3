"""Fixtures: a running Bot API test server, a real aiogram Bot talking to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser

BOT_ID = 700_000_001


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(bot_id=BOT_ID) as running:
        yield running


def make_bot(server: BotAPIServer, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(token or server.token, session=session)


@pytest.fixture
async def bot(server: BotAPIServer) -> AsyncIterator[Bot]:
    instance = make_bot(server)
    try:
        yield instance
    finally:
        await instance.session.close()


@pytest.fixture
def user() -> TgUser:
    return TgUser(id=1001, first_name="雷", last_name="李", username="lilei")


@pytest.fixture
def chat(server: BotAPIServer, user: TgUser) -> ChatClient:
    client = ChatClient(server, user)
    client.open()
    return client
