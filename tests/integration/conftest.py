"""Fixtures of the integration tests' race files."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage.engine import make_engine, make_sessionmaker


@pytest.fixture
async def race_uow_factory(
    database_url: str,
) -> AsyncIterator[Callable[[int], UnitOfWorkFactory]]:
    """`make(n)`: a unit-of-work factory whose pool lets `n` callers hold a connection at once
    (PostgreSQL: pool_size n + 2, no overflow; SQLite: a connection per unit of work)."""
    engines = []

    def make(n: int) -> UnitOfWorkFactory:
        if database_url.startswith("sqlite"):
            engine = make_engine(database_url, hide_parameters=True)
        else:
            engine = make_engine(
                database_url, hide_parameters=True, pool_size=n + 2, max_overflow=0
            )
            assert engine.pool.size() > n  # type: ignore[attr-defined]
        engines.append(engine)
        return UnitOfWorkFactory(make_sessionmaker(engine))

    yield make
    for engine in engines:
        await engine.dispose()


@pytest.fixture
def sqlite_file_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own, for races between OS processes."""
    path = tmp_path / "shared.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite+aiosqlite:///{path}"
