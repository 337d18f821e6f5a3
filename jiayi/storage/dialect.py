"""The one place where SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select


def insert_from_select_ignoring_duplicates(
    session: AsyncSession, table: Any, columns: list[str], query: Select[Any]
) -> Any:
    """INSERT … SELECT … ON CONFLICT DO NOTHING, for the session's dialect."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).from_select(columns, query).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).from_select(columns, query).on_conflict_do_nothing()
    raise NotImplementedError(f"no upsert for dialect {name!r}")


def insert_ignoring_duplicates(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing()
    raise NotImplementedError(f"no upsert for dialect {name!r}")
