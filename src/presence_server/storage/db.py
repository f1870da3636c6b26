"""The database: one async engine, and sessions that commit or roll back.

SQLite (through aiosqlite) is the embedded default; PostgreSQL (through
asyncpg) runs the same code. On SQLite every connection is set up for
durability and for several writers, in this process or in others:

- WAL journal, so readers never block the writer and the writer never blocks
  readers;
- ``synchronous=FULL``: the WAL is synced at every commit, so a change the
  caller was told about survives a power loss, not only a process crash
  (``NORMAL`` would only guarantee the latter);
- a busy timeout, so a writer waits for another writer instead of failing;
- foreign keys enforced;
- write transactions begin with ``BEGIN IMMEDIATE``. A deferred transaction
  that reads and then writes may fail at once with "database is locked" when
  another connection wrote in between, whatever the busy timeout; taking the
  write lock at ``BEGIN`` makes such a writer wait its turn instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

logger = logging.getLogger(__name__)

# The execution option that makes a SQLite transaction begin with
# BEGIN IMMEDIATE. Set it on a connection (``await conn.execution_options(
# **{WRITE_LOCK_OPTION: True})``) before its first statement to write outside
# ``Database.write()``.
WRITE_LOCK_OPTION = "presence_write_lock"

DEFAULT_SQLITE_BUSY_TIMEOUT = 10.0

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ALIASES = {"postgres": "postgresql"}


def normalize_url(url: str | URL) -> URL:
    """The URL with the async driver this project uses for its database.

    ``sqlite:///path`` becomes ``sqlite+aiosqlite:///path`` and
    ``postgresql://...`` (or ``postgres://``) ``postgresql+asyncpg://...``.
    Any other driver, and in-memory SQLite (each connection would see its
    own empty database), is refused with ``ValueError``.
    """
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    backend = _ALIASES.get(backend, backend)
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(
            f"unsupported database {parsed.drivername!r}: use sqlite:///path "
            "or postgresql://user@host/dbname"
        )
    wanted = _ASYNC_DRIVERS[backend]
    if driver and f"{backend}+{driver}" != wanted:
        raise ValueError(
            f"unsupported driver {parsed.drivername!r}: this server uses {wanted}"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be shared; give a file")
    return parsed.set(drivername=wanted)


class Database:
    """An async engine and its two kinds of session.

    ``write()`` sessions take the database write lock when they begin (on
    SQLite; PostgreSQL locks rows as they are written) and commit when the
    block ends normally. ``read()`` sessions begin a plain transaction: a
    consistent snapshot for several queries; they must not write. Both roll
    back when the block raises anything, cancellation included.

    Args:
        url: ``sqlite:///path`` or ``postgresql://user[:password]@host/db``,
            with or without the ``+aiosqlite`` / ``+asyncpg`` driver.
        sqlite_busy_timeout: seconds a SQLite connection waits for the
            write lock held by another connection before failing.
        engine_options: passed on to ``create_async_engine`` (pool size...).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT,
        **engine_options: Any,
    ) -> None:
        self.url = normalize_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_options)
        self.dialect_name: str = self.engine.dialect.name
        if self.dialect_name == "sqlite":
            _configure_sqlite(self.engine.sync_engine, sqlite_busy_timeout)
        self._busy_timeout = sqlite_busy_timeout
        self._sqlite_writer: Engine | None = None

        write_engine = self.engine.execution_options(**{WRITE_LOCK_OPTION: True})
        self._writers = async_sessionmaker(write_engine, expire_on_commit=False)
        self._readers = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        """The URL with any password masked; safe to log."""
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed when the block ends.

        Any exception, ``CancelledError`` included, rolls the transaction
        back and propagates. When the commit itself is interrupted (the task
        is cancelled while it runs, the connection drops) its outcome is
        unknown to the caller, as with any database client.
        """
        async with self._writers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a read transaction: one consistent view, no writes.

        Closed (rolled back) when the block ends; writing in it is a bug: on
        SQLite it may fail at once with "database is locked".
        """
        async with self._readers() as session:
            yield session

    def sqlite_writer(self) -> Engine | None:
        """A synchronous engine on the same SQLite file; None on PostgreSQL.

        For a writer that runs whole transactions in one worker thread: with
        the async driver every statement is a trip to aiosqlite's thread and
        back, which costs more than the statement. Configured like the async
        engine (WAL, busy timeout, ``BEGIN IMMEDIATE`` for every transaction).
        Use it from one thread at a time.
        """
        if self.dialect_name != "sqlite":
            return None
        if self._sqlite_writer is None:
            # One connection, used by one thread at a time, closed by dispose()
            # from the event loop's thread.
            self._sqlite_writer = create_engine(
                self.url.set(drivername="sqlite+pysqlite"),
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self._sqlite_writer, self._busy_timeout)
        return self._sqlite_writer.execution_options(**{WRITE_LOCK_OPTION: True})

    async def dispose(self) -> None:
        """Close every pooled connection. The object must not be used after."""
        if self._sqlite_writer is not None:
            self._sqlite_writer.dispose()
        await self.engine.dispose()


async def take_lock(session: AsyncSession, name: str) -> None:
    """Serialize this write transaction with others taking the same lock.

    Call it in a ``Database.write()`` session; when it returns the lock is
    held, until the transaction ends. On PostgreSQL it is a transaction-level
    advisory lock. On SQLite it only makes sure the transaction has begun: its
    ``BEGIN IMMEDIATE`` holds the single database write lock, which excludes
    every other writer. Use it where a check and the write that depends on it
    must not interleave with another instance's (a uniqueness check, seeding).
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    await connection.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)}
    )


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # The busy timeout first: switching to WAL needs a lock too.
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_LOCK_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
