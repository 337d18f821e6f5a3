"""Engine and session factories. Nothing is built at import time."""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./jiayi.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 5
SQLITE_POOL_OVERFLOW = 20
# A pooled PostgreSQL connection idle for longer than this is pinged before use.
PG_PING_AFTER_IDLE_S = 5.0
_IDLE_SINCE = "jiayi_idle_since"


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` and `sqlite://` spellings operators tend to paste."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database driver {parsed.drivername!r}; use one of {SUPPORTED_DRIVERS}"
        )
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            # Every connection to ":memory:" is a database of its own; keep the old behaviour.
            kwargs.setdefault("poolclass", NullPool)
        else:
            # A pool, not a connection per unit of work: opening one costs a thread and four
            # PRAGMAs, which was most of a short update's time (issue #14). Pooling changes
            # nothing about locking: each checkout still begins its own transaction (BEGIN, or
            # BEGIN IMMEDIATE for writers, see `_on_begin`), the pool rolls back on return, and
            # the PRAGMAs below hold for the connection's life. WAL lets the pool's readers
            # run beside the one writer. The overflow is generous because a reader never
            # waits for the writer in SQLite, so it should not wait for a connection either.
            kwargs.setdefault("poolclass", AsyncAdaptedQueuePool)
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            kwargs.setdefault("max_overflow", SQLITE_POOL_OVERFLOW)
        # Rollbacks run in the event loop's thread (see `_OneHopConnection.rollback`).
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, **kwargs)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that sat idle in the pool.

    asyncpg's ping is three round trips (BEGIN, a query, ROLLBACK) and `pool_pre_ping` makes
    them on every checkout: two or three times an update, more than the update's own queries
    (issue #14). A connection checked in less than `PG_PING_AFTER_IDLE_S` ago was working
    then, so it is handed out as it is; one idle for longer (a restart or an idle timeout may
    have closed it) is pinged, and a dead one is replaced before anyone uses it, exactly as
    with `pool_pre_ping`. What is given up: a server that goes away within those seconds of
    a connection's last use costs that connection's next unit of work an error (SQLAlchemy
    then drops the whole pool), instead of a silent reconnect.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PG_PING_AFTER_IDLE_S:
            return  # new (just connected) or in use moments ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool replaces the connection and tries again (SQLAlchemy's own recipe).
            raise DisconnectionError() from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so BEGIN can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
            dbapi_connection.__class__ = _OneHopConnection

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction that reads first must hold the write lock from the start, or two
        # of them deadlock on upgrade; callers ask for it with the `sqlite_immediate` option.
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, with one trip to the connection's thread per statement.

    aiosqlite runs sqlite3 in a thread of its own; SQLAlchemy's adapter makes four trips to it
    for every statement (open a cursor, execute, fetch, close), each a queue hand-off and a
    wake-up of the event loop. On a busy machine those hand-offs were most of a short update's
    time (issue #14). This runs the same four sqlite3 calls in one function, in that thread:
    same statements, same results, same errors; only the waiting is shorter.
    """

    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection = self._connection
        if operation in _BEGINS and not parameters:
            # Deferred to the next statement's trip (see `_OneHopConnection`).
            _PENDING_BEGIN[connection] = operation
            self.description = None
            self.lastrowid = self.rowcount = -1
            return None
        begin = _PENDING_BEGIN.pop(connection, None)

        def run() -> tuple[Any, list[Any] | None, int | None, int]:
            cursor = connection._conn.cursor()
            try:
                if begin is not None:
                    cursor.execute(begin)
                if parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                description = cursor.description
                rows = cursor.fetchall() if description else None
                return description, rows, cursor.lastrowid, cursor.rowcount
            finally:
                cursor.close()

        try:
            description, rows, lastrowid, rowcount = self.await_(connection._execute(run))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
            raise  # _handle_exception always raises; this keeps type checkers informed
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount


# `BEGIN`s waiting for their transaction's first statement, by aiosqlite connection (the
# adapter's class has __slots__, so the mark cannot live on it).
_PENDING_BEGIN: WeakKeyDictionary[Any, str] = WeakKeyDictionary()
_BEGINS = frozenset({"BEGIN", "BEGIN IMMEDIATE"})


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Hands out `_OneHopCursor`s (server-side cursors stay SQLAlchemy's own), and saves the
    trips to aiosqlite's thread that carry no statement:

    - `BEGIN` / `BEGIN IMMEDIATE` travel with the transaction's first statement, in the same
      trip, right before it. Nothing runs on the connection in between, so the transaction
      starts exactly as it would have (SQLite takes no lock at `BEGIN`, and `BEGIN IMMEDIATE`
      takes the write lock before that first statement either way, behind the process's
      writer lock); an error of either surfaces at that statement, in the same transaction.
    - `rollback` and `commit` of a connection that has no transaction open (a `BEGIN` that
      never ran, or the pool's reset after the session already ended the transaction) are
      no-ops in sqlite3, so they make no trip. Reading `in_transaction` from the event loop's
      thread is safe: no statement of this connection runs meanwhile.
    - `rollback` of an open transaction (every read-only unit of work ends with one) runs in
      the event loop's thread.
    """

    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            self._run_pending_begin()
            return super().cursor(server_side=True)
        return _OneHopCursor(self)

    def _run_pending_begin(self) -> None:
        begin = _PENDING_BEGIN.pop(self._connection, None)
        if begin is not None:
            _OneHopCursor(self).execute(begin)

    def _in_transaction(self) -> bool:
        try:
            return bool(self._connection._conn.in_transaction)
        except ValueError:  # closed: let aiosqlite's own call raise its usual error
            return True

    def rollback(self) -> None:
        _PENDING_BEGIN.pop(self._connection, None)
        if not self._in_transaction():
            return
        # In the event loop's thread: a ROLLBACK never waits for a lock and does no I/O to
        # speak of (WAL: the transaction's pages are simply not committed), so the trip to
        # aiosqlite's thread cost more than the call. That thread is idle meanwhile: calls on
        # one connection never overlap (hence `check_same_thread=False` in `make_engine`).
        try:
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        _PENDING_BEGIN.pop(self._connection, None)
        if self._in_transaction():
            super().commit()
