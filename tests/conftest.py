"""Shared fixtures. Every database test runs on SQLite and, when JIAYI_TEST_POSTGRES_URL is set,
on PostgreSQL too: one `database_url` fixture, parametrised.

A missing PostgreSQL or Redis skips its tests on a developer's machine. CI (`.ci/run`) sets
JIAYI_REQUIRE_POSTGRES=1 and JIAYI_REQUIRE_REDIS=1, which turn those skips into failures, so a
run that silently lost half its backends cannot pass."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jiayi.content.render import Renderer
from jiayi.content.tips import Library, load_library
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import Database, UnitOfWorkFactory, open_database
from jiayi.storage import migrate
from jiayi.storage.models import Base

POSTGRES_URL_ENV = "JIAYI_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "JIAYI_REQUIRE_POSTGRES"
REDIS_URL_ENV = "JIAYI_TEST_REDIS_URL"
REQUIRE_REDIS_ENV = "JIAYI_REQUIRE_REDIS"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# 10:00 in Shanghai on the day this suite was written: inside every "daytime" rule.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
BACKENDS = ["sqlite", "postgresql"]
# Settings that keep every scheduler timer idle for longer than any test runs: tests run the
# jobs themselves (RunningBot.jobs, the sandbox's clock control) against a manual clock.
IDLE_TIMERS: dict[str, float] = {
    "dispatch_interval_seconds": 3600,
    "plan_interval_minutes": 240,
    "slots_interval_hours": 48,
    "offers_interval_seconds": 3600,
    "care_interval_hours": 48,
    "retention_interval_hours": 168,
    "points_interval_minutes": 1440,
    "broadcast_progress_interval_seconds": 3600,
}


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def _required(variable: str) -> bool:
    return os.environ.get(variable, "").strip() not in ("", "0")


def skip_or_fail(reason: str, require_variable: str) -> NoReturn:
    """Skips the test, unless `require_variable` is set: then the missing backend is a failure."""
    if _required(require_variable):
        pytest.fail(f"{reason}, and {require_variable}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def redis_test_url() -> str:
    return os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL


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
        skip_or_fail(f"{POSTGRES_URL_ENV} is not set", REQUIRE_POSTGRES_ENV)

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


@pytest.fixture
async def redis_url() -> str:
    """An emptied Redis database (JIAYI_TEST_REDIS_URL, default db 15 on 127.0.0.1:6379).

    Only a refused or unresolvable connection skips (or fails under JIAYI_REQUIRE_REDIS=1);
    any other error is a real failure of the test."""
    import redis.asyncio as redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = redis_test_url()
    client = redis.from_url(url)
    try:
        await client.flushdb()
    except (RedisConnectionError, OSError) as exc:
        skip_or_fail(f"Redis not reachable at {url} ({type(exc).__name__})", REQUIRE_REDIS_ENV)
    finally:
        await client.aclose()
    return url
