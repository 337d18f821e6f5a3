"""What the speed work of issue #14 must not change: SQLite's guarantees on pooled, reused
connections, the one-trip cursor's results, and aiogram's markups and parsed answers."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder as AiogramBuilder
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.aiogram_shim import InlineKeyboardBuilder, KeepAliveSession
from storage.engine import make_engine


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
