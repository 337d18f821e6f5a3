"""What /readyz checks: the database answers and its schema is the code's."""

from __future__ import annotations

from jiayi.storage import migrate as _migrate


async def database_problem(url: str) -> str | None:
    """None when the database is reachable and migrated to head; else a short reason (no
    connection details: the answer is served over HTTP)."""
    try:
        current = await _migrate.current_revision(url)
    except Exception as error:
        return f"database unreachable ({type(error).__name__})"
    head = _migrate.head_revision()
    if current != head:
        return f"database schema at {current}, code expects {head}: run `jiayi db upgrade`"
    return None
