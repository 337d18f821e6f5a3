"""Shared pieces of the benchmark scripts: scratch databases, fast seeding, table printing.

Nothing here is imported by the application or the tests.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from jiayi.storage import migrate
from jiayi.storage import models as m
from jiayi.storage.engine import make_engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIDONG_2026 = date(2026, 11, 7)  # 立冬, Start of Winter: everyone/hypertension/diabetes/age_65
PLAIN_DAY_2026 = date(2026, 11, 10)  # no tip fires on this day
SEEDED_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)

# The maintenance database: only used to CREATE/DROP the scratch database, on loopback.
DEFAULT_PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
CHUNK = 5_000
TELEGRAM_ID_BASE = 700_000_000


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given in Shanghai local time, as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


# --- scratch databases ---------------------------------------------------------------------


@asynccontextmanager
async def scratch_database(
    backend: str, *, pg_admin_dsn: str = DEFAULT_PG_ADMIN_DSN, tag: str = ""
) -> AsyncIterator[str]:
    """A fresh, migrated, empty database; dropped (or deleted) on the way out, whatever happens.

    PostgreSQL: `jiayi_bench_<pid>[_<tag>]`, created and dropped through the maintenance
    database. SQLite: a file in a temporary directory.
    """
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="jiayi_bench_")
        try:
            url = f"sqlite+aiosqlite:///{os.path.join(directory, 'bench.db')}"
            await migrate.upgrade(url)
            yield url
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"jiayi_bench_{os.getpid()}" + (f"_{tag}" if tag else "")
    admin = await asyncpg.connect(pg_admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        url = (
            make_url(pg_admin_dsn)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
        await migrate.upgrade(url)
        yield url
    finally:
        admin = await asyncpg.connect(pg_admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# --- seeding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    residents: int
    conditions: int
    children: int
    contracts: int
    seconds: float
    settle_seconds: float  # ANALYZE and a checkpoint, after the load


@dataclass(frozen=True)
class Mix:
    """The share of residents in each group (of all residents)."""

    age_65: float = 0.25  # includes the 80+
    age_80: float = 0.08
    hypertension: float = 0.20
    diabetes: float = 0.10
    hyperlipidaemia: float = 0.05
    pregnant: float = 0.02
    young_child: float = 0.15  # a child under 6 recorded as a family member
    contracted: float = 0.70  # an open contract with one of the centre's doctors
    english: float = 0.10
    doctors: int = 20


def _resident_rows(n: int, rng: random.Random, mix: Mix) -> list[dict[str, Any]]:
    year = SEEDED_AT.year
    rows = []
    for i in range(1, n + 1):
        roll = rng.random()
        if roll < mix.age_80:
            age = rng.randint(80, 95)
        elif roll < mix.age_65:
            age = rng.randint(65, 79)
        else:
            age = rng.randint(18, 64)
        rows.append(
            {
                "id": i,
                "telegram_user_id": TELEGRAM_ID_BASE + i,
                "display_name": f"居民{i}",
                "locale": "en" if rng.random() < mix.english else "zh-CN",
                "birth_year": year - age,
                "sex": "female" if rng.random() < 0.5 else "male",
                "consent_version": "2026-11-v1",
                "consented_at": SEEDED_AT,
                "onboarded_at": SEEDED_AT,
                "reachable": True,
                "quiet_start": 21,
                "quiet_end": 8,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        )
    return rows


def _condition_rows(
    residents: Sequence[dict[str, Any]], rng: random.Random, mix: Mix
) -> list[dict[str, Any]]:
    year = SEEDED_AT.year
    # Pregnancy only among women of 20-44; scaled so that it is `mix.pregnant` of everyone.
    fertile = [r for r in residents if r["sex"] == "female" and 20 <= year - r["birth_year"] < 45]
    pregnant_share = min(1.0, mix.pregnant * len(residents) / max(len(fertile), 1))
    rows = []
    for r in residents:
        for condition, share in (
            ("hypertension", mix.hypertension),
            ("diabetes_t2", mix.diabetes),
            ("hyperlipidaemia", mix.hyperlipidaemia),
        ):
            if rng.random() < share:
                rows.append({"resident_id": r["id"], "condition": condition})
    for r in fertile:
        if rng.random() < pregnant_share:
            rows.append({"resident_id": r["id"], "condition": "pregnant"})
    return rows


def _child_rows(
    residents: Sequence[dict[str, Any]], rng: random.Random, mix: Mix
) -> list[dict[str, Any]]:
    year = SEEDED_AT.year
    parents = [r for r in residents if year - r["birth_year"] < 50]
    share = min(1.0, mix.young_child * len(residents) / max(len(parents), 1))
    rows = []
    for r in parents:
        if rng.random() < share:
            born = SEEDED_AT.date() - timedelta(days=rng.randint(30, 5 * 365))
            rows.append(
                {
                    "resident_id": r["id"],
                    "display_name": "宝宝",
                    "relation": "child",
                    "birth_date": born,
                    "sex": "female" if rng.random() < 0.5 else "male",
                    "consent_basis": "guardian",
                    "consent_recorded_at": SEEDED_AT,
                    "created_at": SEEDED_AT,
                    "updated_at": SEEDED_AT,
                }
            )
    return rows


async def _insert_chunked(
    conn: AsyncConnection, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])


async def seed(
    url: str, n: int, *, seed_value: int = 20261107, analyze: bool = True
) -> SeedReport:
    """N onboarded residents with a realistic mix, by Core executemany in one transaction.

    Not through the services or the ORM: this is set-up, not what is being measured.
    """
    rng = random.Random(seed_value)
    mix = Mix()
    began = time.perf_counter()
    residents = _resident_rows(n, rng, mix)
    conditions = _condition_rows(residents, rng, mix)
    children = _child_rows(residents, rng, mix)
    doctors = [
        {
            "id": d,
            "centre_id": 1,
            "display_name": f"医生{d}",
            "link_code": f"bench{d:03d}",
            "telegram_user_id": None,
            "active": True,
            "created_at": SEEDED_AT,
        }
        for d in range(1, mix.doctors + 1)
    ]
    contracts = [
        {
            "resident_id": r["id"],
            "doctor_id": 1 + (r["id"] % mix.doctors),
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
            "ended_at": None,
            "created_at": SEEDED_AT,
        }
        for r in residents
        if rng.random() < mix.contracted
    ]
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(m.Centre.__table__),
                [
                    {
                        "id": 1,
                        "code": "bench",
                        "name": "基准社区卫生服务中心",
                        "name_en": "Benchmark Community Health Centre",
                        "timezone": "Asia/Shanghai",
                        "created_at": SEEDED_AT,
                    }
                ],
            )
            await conn.execute(insert(m.Doctor.__table__), doctors)
            await _insert_chunked(conn, m.Resident.__table__, residents)
            await _insert_chunked(conn, m.ResidentCondition.__table__, conditions)
            await _insert_chunked(conn, m.FamilyMember.__table__, children)
            await _insert_chunked(conn, m.Contract.__table__, contracts)
            if engine.dialect.name == "postgresql":
                # Explicit ids were inserted: move the sequences past them.
                for table in ("centres", "doctors", "residents"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT MAX(id) FROM {table}))"
                        )
                    )
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        async with engine.connect() as conn:
            if analyze:
                # A production database has planner statistics (autovacuum / sqlite_stat1);
                # a freshly bulk-loaded one has none until this runs.
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            # Flush the bulk load to disk now, so that a checkpoint does not land in the middle
            # of what is being measured.
            if engine.dialect.name == "postgresql":
                await conn.execute(text("CHECKPOINT"))
            else:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            await conn.commit()
        settle_seconds = time.perf_counter() - began
    finally:
        await engine.dispose()
    return SeedReport(
        residents=n,
        conditions=len(conditions),
        children=len(children),
        contracts=len(contracts),
        seconds=seconds,
        settle_seconds=settle_seconds,
    )


async def analyze_database(url: str) -> float:
    """Refreshes the planner statistics (what autovacuum does in the background); seconds."""
    began = time.perf_counter()
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - began


async def postgres_autovacuum(url: str) -> str | None:
    """The server's `autovacuum` setting ("on"/"off"); None on SQLite."""
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return None
        async with engine.connect() as conn:
            return str(await conn.scalar(text("SHOW autovacuum")))
    finally:
        await engine.dispose()


async def outbox_status_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
            return {status: int(count) for status, count in rows}
    finally:
        await engine.dispose()


# --- output --------------------------------------------------------------------------------


def machine_note() -> str:
    """CPUs and load: figures taken while something else is running are not comparable."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return " | ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True))

    print(line(cells[0]))
    print("-+-".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _width(text_: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text_)
