"""Storage mechanics: migrations (stairway), UTC datetimes, unit-of-work semantics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import create_async_engine

from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.storage import migrate
from jiayi.storage.models import Base
from tests.conftest import postgres_url
from tests.factories import make_centre, make_resident


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # A plain fixture: the session fixtures it may pull in run their own event loop.
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
    url = request.getfixturevalue("postgres_migrated")
    asyncio.run(migrate.downgrade(url, "base"))
    return url


def _unquoted(default: str | None) -> str | None:
    """A server default as text without the parentheses and quotes a dialect wraps it in."""
    if default is None:
        return None
    value = default.strip()
    while len(value) >= 2 and (value[0], value[-1]) in {("(", ")"), ("'", "'")}:
        value = value[1:-1].strip()
    return value.lower()


def _compare_server_default(
    context: object,
    inspected_column: object,
    metadata_column: object,
    inspected_default: str | None,
    metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool | None:
    # SQLite's batch rebuild reflects `''` as `('')`; Alembic's own comparison calls that a
    # change. Equal after unwrapping means equal; anything else Alembic decides.
    if _unquoted(inspected_default) == _unquoted(rendered_metadata_default):
        return False
    return None


async def _drift(url: str) -> list[object]:
    """What Alembic's autogenerate would change to bring the migrated schema to the models."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def _compare(sync_conn: Connection) -> list[object]:
                context = MigrationContext.configure(
                    sync_conn,
                    opts={
                        "compare_type": True,
                        "compare_server_default": _compare_server_default,
                    },
                )
                return list(compare_metadata(context, Base.metadata))

            return await conn.run_sync(_compare)
    finally:
        await engine.dispose()


async def test_migrations_stairway(empty_database_url: str) -> None:
    """Every revision upgrades, downgrades and upgrades again; head matches the models.

    "Matches" is Alembic's `compare_metadata` (tables, columns, types, nullability, server
    defaults, indexes, unique constraints) on this database, not a list of table names.
    Mutations tried: `unique=False` on `uq_appointments_one_active_per_person` in its
    migration (a remove_index/add_index diff on both databases); `nullable=True` on
    `statistic_counts.metric` in 0008 (modify_nullable); `server_default="x"` on its
    `dimension` (modify_default)."""
    url = empty_database_url
    for revision in migrate.revisions():
        await migrate.upgrade(url, revision)
        await migrate.downgrade(url, "-1")
        await migrate.upgrade(url, revision)
    assert await migrate.current_revision(url) == migrate.head_revision()
    assert await _tables(url) >= {t.name for t in Base.metadata.sorted_tables}
    assert await _drift(url) == []


async def test_datetimes_come_back_aware_utc(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=timezone(timedelta(hours=8))))
    resident = await make_resident(uow_factory, clock)
    assert resident.consented_at.tzinfo is not None
    assert resident.consented_at.utcoffset() == timedelta(0)
    assert resident.consented_at == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


async def test_leaving_without_commit_rolls_back(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    async with uow_factory() as uow:
        await uow.centres.add(code="x", name="x", name_en="x", timezone="UTC", now=clock.now())
    async with uow_factory() as uow:
        assert await uow.centres.by_code("x") is None


async def test_exception_inside_unit_of_work_rolls_back(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.begin_write()
            await uow.centres.add(code="y", name="y", name_en="y", timezone="UTC", now=clock.now())
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert await uow.centres.by_code("y") is None


async def test_naive_datetime_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    """Mutation tried: `UTCDateTime.process_bind_param` treating a naive datetime as UTC."""
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime") as caught:
        async with uow_factory() as uow:
            await uow.centres.add(code="z", name="z", name_en="z", timezone="UTC", now=naive)
    assert isinstance(caught.value.orig, ValueError)


async def test_seed_demo_is_idempotent(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    first = await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    second = await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    assert first.centre_created
    assert first.doctors_created == 2
    assert first.residents_created == 3
    assert (second.centre_created, second.doctors_created, second.residents_created) == (
        False,
        0,
        0,
    )
    async with uow_factory() as uow:
        assert await uow.residents.count() == 3


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    from jiayi.storage.engine import make_engine

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 1000
    finally:
        await engine.dispose()


async def test_one_open_contract_per_resident_is_a_constraint(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: `unique=False` on uq_contracts_one_open_per_resident (models and
    migration): the second open contract is stored and nothing raises."""
    from tests.factories import make_doctor

    resident = await make_resident(uow_factory, clock)
    doctor = await make_doctor(uow_factory, clock)
    today = clock.now().date()
    async with uow_factory() as uow:
        await uow.begin_write()  # reads, then writes
        await uow.contracts.add(
            resident_id=resident.id,
            doctor_id=doctor.id,
            starts_on=today,
            ends_on=today,
            now=clock.now(),
        )
        await uow.commit()
    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        async with uow_factory() as uow:
            await uow.begin_write()  # reads, then writes
            await uow.contracts.add(
                resident_id=resident.id,
                doctor_id=doctor.id,
                starts_on=today,
                ends_on=today,
                now=clock.now(),
            )
            await uow.commit()


def test_postgres_url_is_used_in_ci() -> None:
    """On CI the PostgreSQL half of every database test must really run.

    .ci/run exports JIAYI_REQUIRE_POSTGRES=1 (and the scratch database URL); with the variable
    set and no URL, this and every PostgreSQL-parametrised test fail instead of skipping."""
    import os

    required = os.environ.get("CI") or os.environ.get("JIAYI_REQUIRE_POSTGRES", "0") != "0"
    if required and postgres_url() is None:
        pytest.fail("CI must set JIAYI_TEST_POSTGRES_URL so storage tests also run on PostgreSQL")


async def test_centre_lookup(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    centre = await make_centre(uow_factory, clock)
    async with uow_factory() as uow:
        assert await uow.centres.by_code(centre.code) == centre
        assert await uow.centres.list() == [centre]
