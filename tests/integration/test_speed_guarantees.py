"""What the speed work of issue #14 must not change: SQLite's guarantees on pooled, reused
connections, the one-trip cursor's results, and aiogram's markups and parsed answers."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder as AiogramBuilder
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder, KeepAliveSession
from jiayi.storage.engine import make_engine
from tests.conftest import POSTGRES_URL_ENV, postgres_url


async def test_a_reused_sqlite_connection_keeps_wal_busy_timeout_and_foreign_keys(
    tmp_path: Path,
) -> None:
    """Mutations tried: `poolclass=NullPool` back in make_engine (a fresh connection each
    time: the "same connection" assertion fails); the PRAGMAs moved out of the `connect`
    listener into a one-off statement (the second checkout loses foreign keys)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    try:
        seen = []
        for _ in range(3):
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                seen.append(id(raw.driver_connection))
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
                assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 1000
        assert len(set(seen)) == 1, "the pool should hand the same connection back"
    finally:
        await engine.dispose()


async def test_the_one_trip_cursor_returns_rows_counts_ids_and_errors(tmp_path: Path) -> None:
    """Mutations tried: returning `rows` only when there is no description (selects come back
    empty); dropping `rowcount` (the UPDATE reports -1); swallowing the exception (the foreign
    key violation passes silently)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'cursor.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT)"))
            await conn.execute(
                text("CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id))")
            )
            inserted = await conn.execute(text("INSERT INTO p (name) VALUES ('a'), ('b')"))
            assert inserted.rowcount == 2
            assert inserted.lastrowid == 2
            updated = await conn.execute(text("UPDATE p SET name = 'z' WHERE id <= 2"))
            assert updated.rowcount == 2
            rows = (await conn.execute(text("SELECT id, name FROM p ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "z"), (2, "z")]
            returned = await conn.execute(text("INSERT INTO p (name) VALUES ('c') RETURNING id"))
            assert returned.scalar() == 3
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO c (p_id) VALUES (99)"))
    finally:
        await engine.dispose()


def test_the_builder_without_deepcopy_builds_the_same_markup() -> None:
    """Mutation tried: `export` returning the buttons as one row (`[[b for r in ... for b in r]]`):
    the comparison with aiogram's own markup fails. Returning `self._markup` itself is not
    caught, and is in fact safe: aiogram's builder replaces its rows instead of changing them
    in place, which is why the deep copy was never needed; the last assertion pins that."""

    def fill(builder: AiogramBuilder) -> None:
        for i in range(5):
            builder.button(text=f"b{i}", callback_data=f"cb:{i}")
        builder.adjust(2, 3)

    ours, theirs = InlineKeyboardBuilder(), AiogramBuilder()
    fill(ours)
    fill(theirs)
    markup = ours.as_markup()
    assert markup == theirs.as_markup()
    ours.add(InlineKeyboardButton(text="late", callback_data="cb:late"))
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["b0", "b1"],
        ["b2", "b3", "b4"],
    ]


async def test_the_session_parses_answers_as_aiogram_does_and_keeps_the_type() -> None:
    """Mutation tried: `check_response` returning the kept class's bare `model_validate` of the
    content without aiogram's checks (an error answer no longer raises). Not caught here:
    dropping the strong reference itself, because in a short test run something else still
    holds `Response[Message]`; the rebuilds only show under load (benchmarks/README.md)."""
    from aiogram import Bot
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import SendMessage
    from aiogram.methods.base import Response

    session = KeepAliveSession()
    bot = Bot("123456789:TEST-token", session=session)
    try:
        method = SendMessage(chat_id=1, text="hi")
        content = (
            '{"ok":true,"result":{"message_id":7,"date":0,"chat":{"id":1,"type":"private"},'
            '"text":"hi"}}'
        )
        first = session.check_response(bot, method, 200, content)
        assert isinstance(first.result, Message)
        assert first.result.message_id == 7
        kept = id(type(first))
        del first
        gc.collect()
        assert id(Response[Message]) == kept
        refused = '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
        with pytest.raises(TelegramBadRequest):
            session.check_response(bot, method, 400, refused)
    finally:
        await bot.session.close()


async def test_a_deferred_begin_still_starts_the_transaction(tmp_path: Path) -> None:
    """`BEGIN` travels with the first statement (issue #14); the transaction must still hold
    everything after it. Mutations tried: dropping the pending `BEGIN` instead of running it
    (the rolled-back insert stays: sqlite3 is in autocommit without it); skipping the commit
    trip when a transaction is open (the committed row is missing)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'begin.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        async with engine.connect() as conn:
            await conn.begin()
            await conn.execute(text("INSERT INTO t (id) VALUES (1)"))
            await conn.rollback()
        async with engine.connect() as conn:
            immediate = await conn.execution_options(sqlite_immediate=True)
            await immediate.begin()
            await immediate.execute(text("INSERT INTO t (id) VALUES (2)"))
            await immediate.commit()
        async with engine.connect() as conn:
            await conn.begin()  # a transaction with no statement: nothing to run or end
            await conn.rollback()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id FROM t"))).scalars().all()
        assert rows == [2]
    finally:
        await engine.dispose()


async def test_begin_immediate_takes_the_write_lock_at_its_first_statement(
    tmp_path: Path,
) -> None:
    """A writer that began IMMEDIATE holds SQLite's write lock from its first statement (a
    read), so a second writer is refused until it ends. Mutation tried: running the pending
    `BEGIN IMMEDIATE` as a plain `BEGIN` (the second writer's insert succeeds)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        async with engine.connect() as first:
            writer = await first.execution_options(sqlite_immediate=True)
            await writer.begin()
            assert (await writer.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            async with engine.connect() as second:
                await second.exec_driver_sql("PRAGMA busy_timeout=50")
                await second.commit()
                with pytest.raises(OperationalError, match="locked"):
                    async with second.begin():
                        await second.execute(text("INSERT INTO t (id) VALUES (1)"))
            await writer.rollback()
    finally:
        await engine.dispose()


async def test_filters_run_in_the_event_loop_and_still_route() -> None:
    """Every filter of the bot's routers is awaited in the event loop, not sent to a thread
    (issue #14), and magic filters still decide. Mutation tried: `inline_sync_filters` not
    called in `build_dispatcher` (sync filters remain)."""
    from aiogram import Bot, Dispatcher, F, Router
    from aiogram.fsm.storage.memory import MemoryStorage
    from aiogram.types import Chat, Update, User

    from jiayi.bot.aiogram_shim import inline_sync_filters
    from jiayi.bot.app import build_dispatcher, build_i18n, get_routers
    from jiayi.content.render import Renderer
    from jiayi.content.tips import load_library
    from jiayi.services.clock import ManualClock
    from jiayi.services.database import open_database
    from jiayi.services.pushes import PushSchedule
    from jiayi.services.settings import Settings
    from tests.conftest import T0

    plain = Dispatcher()
    plain.include_routers(*get_routers())
    assert inline_sync_filters(plain) > 0, "the bot's routers have synchronous filters"
    settings = Settings(
        bot_token="123456789:TEST-token",  # type: ignore[arg-type]
        database_url="sqlite+aiosqlite:///:memory:",
        _env_file=None,  # type: ignore[call-arg]
    )
    renderer = Renderer(default_locale=settings.default_locale)
    database = open_database(settings.database_url)
    try:
        dp = build_dispatcher(
            settings=settings,
            uow_factory=database.uow_factory,
            renderer=renderer,
            clock=ManualClock(T0),
            i18n=build_i18n(settings.default_locale),
            storage=MemoryStorage(),
            library=load_library(renderer.env),
            schedule=PushSchedule(zone=settings.zone, push_hour=9, grace_days=3),
        )
        assert inline_sync_filters(dp) == 0, "build_dispatcher left filters for a thread"
    finally:
        await database.dispose()

    seen: list[str] = []
    router = Router()

    @router.message(F.text == "pong")
    async def _pong(message: Message) -> None:
        seen.append("pong")

    @router.message(F.text.startswith("p"))
    async def _p(message: Message) -> None:
        seen.append("p")

    probe = Dispatcher()
    probe.include_router(router)
    assert inline_sync_filters(probe) == 2
    user = User(id=1, is_bot=False, first_name="u")
    bot = Bot("123456789:TEST-token")  # nothing is sent: the handlers only record
    try:
        for i, said in enumerate(("pong", "ping", "x"), start=1):
            message = Message(
                message_id=i, date=0, chat=Chat(id=1, type="private"), from_user=user, text=said
            )
            await probe.feed_update(bot, Update(update_id=i, message=message))
    finally:
        await bot.session.close()
    assert seen == ["pong", "p"]


async def test_an_idle_postgresql_connection_that_died_is_replaced_unseen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without `pool_pre_ping` on every checkout (issue #14), a pooled connection that sat
    idle is still pinged, and a dead one replaced before use. Mutation tried: returning before
    the ping whatever the idle time (the query fails with a closed connection)."""
    from jiayi.storage import engine as engine_module

    url = postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        killer = make_engine(url, poolclass=NullPool)
        try:
            async with killer.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await killer.dispose()
        monkeypatch.setattr(engine_module, "PG_PING_AFTER_IDLE_S", 0.0)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar() != pid
    finally:
        await engine.dispose()
