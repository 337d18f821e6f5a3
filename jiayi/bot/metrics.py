"""Counting what the bot does for /metrics: updates and their handling time, and sends."""

from __future__ import annotations

import time
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from jiayi.bot.logformat import current_update_id
from jiayi.bot.middlewares import Handler
from jiayi.services.delivery import Outcome, OutgoingMessage, Sender, SendResult
from jiayi.services.metrics import Metrics


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outermost on `dp.update`: counts each update by kind, times its handling, and names
    its update id in the logs written while it is handled (JIAYI_LOG_FORMAT=json)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        token = current_update_id.set(event.update_id if isinstance(event, Update) else None)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self._metrics.handler_seconds.labels(kind=kind).observe(time.perf_counter() - started)
            self._metrics.updates.labels(kind=kind).inc()
            current_update_id.reset(token)


class CountingSender:
    """The dispatcher's Sender, counting results (and Telegram's 429s) on the way."""

    def __init__(self, inner: Sender, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def send(self, message: OutgoingMessage) -> SendResult:
        result = await self._inner.send(message)
        self._metrics.sends.labels(result=result.outcome.value).inc()
        if result.outcome is Outcome.RETRY_AFTER:
            self._metrics.flood_waits.inc()
        return result
