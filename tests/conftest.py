"""Fixtures shared by every test: a real database on each backend, a clock.

- ``database_url``: a fresh, empty database, once per backend (test ids
  ``[sqlite]`` and ``[postgresql]``). SQLite is a file in ``tmp_path``;
  PostgreSQL a database created for the test on 127.0.0.1:5432 (user
  ``postgres``, no password) and dropped afterwards. Without a reachable
  PostgreSQL the ``[postgresql]`` tests are skipped, or fail when ``CI=true``.
- ``database``: a migrated ``Database`` on that URL, disposed afterwards.
- ``clock``: a ``ManualClock`` at ``START``; tests move it with
  ``await clock.advance(...)``.

A test that needs a single backend can take ``sqlite_url`` instead.
"""

from __future__ import annotations

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
async def database_url(
    request: pytest.FixtureRequest, sqlite_url: str
) -> AsyncIterator[str]:
    """The URL of a fresh, empty database; the test runs once per backend."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on ``database_url``, migrated to the newest schema."""
    db = Database(database_url)
    try:
        await migrate(db)
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test; dropped on exit.

    Skips the test when PostgreSQL cannot be reached, unless ``CI=true``.
    """
    name = f"presence_test_{uuid.uuid4().hex[:16]}"
    admin = await _connect_admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield (
            f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}"
            f"/{name}"
        )
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
