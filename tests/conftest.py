"""Shared fixtures. Every database test runs on SQLite and, when JIAYI_TEST_POSTGRES_URL is set,
on PostgreSQL too: one `database_url` fixture, parametrised."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from content.render import Renderer
from content.tips import Library, load_library
from sandbox.botapi import BotAPIServer
from services.clock import ManualClock
from services.database import Database, UnitOfWorkFactory, open_database
from storage import migrate
from storage.models import Base

POSTGRES_URL_ENV = "JIAYI_TEST_POSTGRES_URL"
# 10:00 in Shanghai on the day this suite was written: inside every "daytime" rule.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")

    async def _reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await migrate.upgrade(url)

    asyncio.run(_reset())
    return url


async def _truncate(url: str) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "jiayi.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_migrated")
    yield url
    asyncio.run(_truncate(url))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = open_database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def uow_factory(database: Database) -> UnitOfWorkFactory:
    return database.uow_factory


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def botapi() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(bot_username="jiayi_test_bot") as server:
        yield server


FIXTURE_TIPS = Path(__file__).parent / "fixtures" / "tips"


@pytest.fixture(scope="session")
def test_library() -> Library:
    """A tiny tip library with known variants, so engine tests don't depend on editorial text."""
    return load_library(Renderer().env, FIXTURE_TIPS)
