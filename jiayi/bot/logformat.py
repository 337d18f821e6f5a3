"""JIAYI_LOG_FORMAT=json: one JSON object per line, with the update being handled.

Messages are the same as in text logs (they carry no personal data, see bot/logs.py); the
update id lets an operator follow one update across lines and workers.
"""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar
from datetime import UTC, datetime

current_update_id: ContextVar[int | None] = ContextVar("current_update_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        update_id = current_update_id.get()
        if update_id is not None:
            entry["update_id"] = update_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs() -> None:
    """Switches every handler on the root logger to JSON lines."""
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
