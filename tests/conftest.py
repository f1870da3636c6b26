"""Fixtures shared by every test: a real database on each backend, a clock.

- ``database_url``: a fresh database at the newest schema with no rows, once
  per backend (test ids ``[sqlite]`` and ``[postgresql]``). SQLite is a file
  in ``tmp_path``; PostgreSQL a database created for the test on
  127.0.0.1:5432 (user ``postgres``, no password) and dropped afterwards.
  Without a reachable PostgreSQL the ``[postgresql]`` tests are skipped, or
  fail when ``CI=true``. ``empty_database_url``: the same without a schema.
- ``database``: a ``Database`` on ``database_url``, disposed afterwards.
- ``clock``: a ``ManualClock`` at ``START``; tests move it with
  ``await clock.advance(...)``.

A test that needs a single backend can take ``sqlite_url`` instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from presence_server.engine.clock import ManualClock
from presence_server.storage import Database, migrate

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"

# An instant with nothing special about it: not midnight, not near a DST change.
START = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A clock that stands still at ``START`` until a test moves it."""
    return ManualClock(START)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's temporary directory (not created)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'presence.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database_url(
    request: pytest.FixtureRequest, sqlite_url: str
) -> AsyncIterator[str]:
    """The URL of a fresh database with no schema; once per backend."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    async with fresh_postgres_database(migrated=False) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, sqlite_url: str
) -> AsyncIterator[str]:
    """The URL of a fresh database at the newest schema, with no rows.

    On PostgreSQL it is a copy of a template migrated once per test session:
    a copy takes a third of a second, migrating about one.
    """
    if request.param == "sqlite":
        db = Database(sqlite_url)
        try:
            await migrate(db)
        finally:
            await db.dispose()
        yield sqlite_url
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on ``database_url`` (migrated to the newest schema)."""
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


# The migrated template of this test session, made on first use.
_template: str | None = None


def _postgres_url(name: str) -> str:
    return (
        f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    )


async def _migrated_template(admin: asyncpg.Connection) -> str:
    global _template
    if _template is None:
        name = f"presence_template_{uuid.uuid4().hex[:16]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        db = Database(_postgres_url(name))
        try:
            await migrate(db)
        finally:
            # A template must have no open connection when it is copied.
            await db.dispose()
        _template = name
    return _template


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _template is None:
        return

    async def drop() -> None:
        admin = await _connect_admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


@asynccontextmanager
async def fresh_postgres_database(*, migrated: bool = True) -> AsyncIterator[str]:
    """A new PostgreSQL database for one test; dropped on exit.

    ``migrated`` databases start at the newest schema (a copy of the
    session's template), others with no schema at all. Skips the test when
    PostgreSQL cannot be reached, unless ``CI=true``.
    """
    name = f"presence_test_{uuid.uuid4().hex[:16]}"
    admin = await _connect_admin()
    try:
        if migrated:
            template = await _migrated_template(admin)
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _postgres_url(name)
    finally:
        admin = await _connect_admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _connect_admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            database="postgres",
            timeout=5,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        reason = (
            f"PostgreSQL not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}: "
            f"{type(error).__name__}: {error}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
