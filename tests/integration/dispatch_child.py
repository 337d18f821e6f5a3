"""A dispatcher in its own process, for the kill test (test_delivery_faults.py):

    python dispatch_child.py DATABASE_URL BOT_API_URL CLOCK_ISO CONCURRENCY

Runs the real `OutboxDispatcher` with the real `AiogramSender` once, at a fixed clock, at 40
pushes a second so that the test can kill it mid-batch.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from jiayi.bot.app import build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content.render import Renderer
from jiayi.content.tips import load_library
from jiayi.services.clock import ManualClock
from jiayi.services.database import open_database
from jiayi.services.delivery import DispatchSettings, OutboxDispatcher

TOKEN = "123456789:TEST-token-for-faults"
FIXTURE_TIPS = Path(__file__).parents[1] / "fixtures" / "tips"


async def main(database_url: str, api_url: str, now: str, concurrency: int) -> None:
    database = open_database(database_url)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = OutboxDispatcher(
        uow_factory=database.uow_factory,
        sender=AiogramSender(bot, build_i18n("zh-CN")),
        library=load_library(Renderer().env, FIXTURE_TIPS),
        clock=ManualClock(datetime.fromisoformat(now)),
        zone=ZoneInfo("Asia/Shanghai"),
        settings=DispatchSettings(
            rate_per_second=40, per_chat_interval=0.0, concurrency=concurrency
        ),
    )
    try:
        print("dispatching", flush=True)
        report = await dispatcher.run_once()
        print(f"done: sent={report.sent}", flush=True)
    finally:
        await bot.session.close()
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
