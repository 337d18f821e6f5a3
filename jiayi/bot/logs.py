"""Logging rules that keep personal data out of the logs, whatever level an operator picks."""

from __future__ import annotations

import logging

# These log every statement with its parameters, or result rows, at DEBUG: names, birth dates
# and message bodies would reach the logs. SQL errors still surface (WARNING and above), and
# the engine hides parameters in error messages (services/database.py).
DATA_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")


def keep_personal_data_out() -> None:
    for name in DATA_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
