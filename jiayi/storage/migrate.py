"""Programmatic Alembic: what `jiayi db upgrade`, `jiayi run` and the tests call."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from jiayi.storage.engine import make_engine, normalise_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    if url:
        config.attributes["url"] = normalise_url(url)
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Applies pending migrations. Runs Alembic in a worker thread: its env starts its own loop."""
    config = alembic_config(url)
    await asyncio.to_thread(command.upgrade, config, revision)


async def downgrade(url: str, revision: str) -> None:
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, revision)


def revisions() -> list[str]:
    """Every revision id from base to head, in order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


async def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def _current(sync_conn: Connection) -> str | None:
                return MigrationContext.configure(sync_conn).get_current_revision()

            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
