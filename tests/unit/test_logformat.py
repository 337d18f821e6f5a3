"""JIAYI_LOG_FORMAT=json: log lines written while an update is handled carry its id."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiogram.types import Update

from jiayi.bot.logformat import JsonFormatter
from jiayi.bot.metrics import UpdateMetricsMiddleware
from jiayi.services.metrics import build_metrics


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_json_lines_name_the_update_being_handled_and_metrics_count_it() -> None:
    """Mutation tried: the middleware not setting `current_update_id` — the line has no
    update_id. And: not counting `updates` — the counter stays at 0."""
    metrics = build_metrics()
    handler = _Lines()
    logger = logging.getLogger("jiayi.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    async def handle(event: Any, data: dict[str, Any]) -> None:
        logger.info("handled")

    update = Update.model_validate(
        {
            "update_id": 4242,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "text": "hi",
            },
        }
    )
    try:
        await UpdateMetricsMiddleware(metrics)(handle, update, {})
        logger.info("between updates")
    finally:
        logger.removeHandler(handler)
    during, after = (json.loads(line) for line in handler.lines)
    assert during["update_id"] == 4242
    assert during["message"] == "handled"
    assert "update_id" not in after
    assert metrics.registry.get_sample_value("jiayi_updates_total", {"kind": "message"}) == 1
    assert (
        metrics.registry.get_sample_value("jiayi_handler_seconds_count", {"kind": "message"}) == 1
    )
