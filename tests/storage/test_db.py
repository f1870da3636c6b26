"""The Database: URLs, SQLite set-up, sessions that commit or roll back, locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.agents import Agent
from presence_server.storage import Database, normalize_url, take_lock
from presence_server.storage import agents as agent_repo
from presence_server.storage.models import AgentRow

NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)

# How long a blocked writer is watched to show it does not get through. Not a
# wait for anything to happen: the test goes on as soon as it has looked.
BLOCKED_FOR = 0.3


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            "sqlite:///data/p.db", "sqlite+aiosqlite:///data/p.db", id="sqlite"
        ),
        pytest.param(
            "sqlite+aiosqlite:////abs/p.db",
            "sqlite+aiosqlite:////abs/p.db",
            id="sqlite-aiosqlite",
        ),
        pytest.param(
            "postgresql://u:pw@db:5432/presence",
            "postgresql+asyncpg://u:pw@db:5432/presence",
            id="postgresql",
        ),
        pytest.param(
            "postgres://u@db/presence",
            "postgresql+asyncpg://u@db/presence",
            id="postgres-alias",
        ),
        pytest.param(
            "postgresql+asyncpg://u@db/presence",
            "postgresql+asyncpg://u@db/presence",
            id="postgresql-asyncpg",
        ),
    ],
)
def test_url_is_normalized_to_the_async_driver(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("mysql://db/presence", id="other-database"),
        pytest.param("postgresql+psycopg://db/presence", id="other-pg-driver"),
        pytest.param("sqlite+pysqlite:///p.db", id="sync-sqlite-driver"),
        pytest.param("sqlite://", id="sqlite-memory-empty"),
        pytest.param("sqlite:///:memory:", id="sqlite-memory"),
    ],
)
def test_unusable_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"unsupported|in-memory"):
        normalize_url(url)


async def test_display_url_masks_the_password() -> None:
    db = Database("postgresql://presence:s3cret@db.example:5432/presence")
    try:
        assert "s3cret" not in db.display_url
        assert "s3cret" not in repr(db)
        assert (
            db.display_url
            == "postgresql+asyncpg://presence:***@db.example:5432/presence"
        )
        assert db.dialect_name == "postgresql"
    finally:
        await db.dispose()


async def test_sqlite_connections_are_durable_and_wait_for_locks(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url, sqlite_busy_timeout=7.5)
    try:
        async with db.read() as session:
            settings = {
                pragma: (await session.execute(text(f"PRAGMA {pragma}"))).scalar()
                for pragma in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                )
            }
    finally:
        await db.dispose()

    # synchronous 2 is FULL: the WAL is synced at every commit.
    assert settings == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 7500,
    }


async def test_write_block_commits_when_it_ends(database: Database) -> None:
    async with database.write() as session:
        session.add(_agent_row("committed"))

    assert await _stored_agent_ids(database) == ["committed"]


async def test_write_block_rolls_back_when_it_raises(database: Database) -> None:
    async def write_then_fail() -> None:
        async with database.write() as session:
            session.add(_agent_row("rolled-back"))
            await session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await write_then_fail()

    assert await _stored_agent_ids(database) == []


async def test_write_block_rolls_back_when_cancelled(database: Database) -> None:
    inside = asyncio.Event()

    async def write_then_wait() -> None:
        async with database.write() as session:
            session.add(_agent_row("cancelled"))
            await session.flush()
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(write_then_wait())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await _stored_agent_ids(database) == []
    # The connection went back to the pool clean: writing still works.
    async with database.write() as session:
        session.add(_agent_row("after"))
    assert await _stored_agent_ids(database) == ["after"]


async def test_sqlite_writer_waits_for_the_other_writer_then_sees_its_change(
    sqlite_url: str,
) -> None:
    async with _two_databases_with_counter(sqlite_url) as (first, second):
        second_began = asyncio.Event()
        second_read = asyncio.Event()
        seen_by_second: list[int] = []

        async def second_increments() -> None:
            async with second.write() as session:
                second_began.set()
                value = await _read_counter(session)
                second_read.set()
                seen_by_second.append(value)
                await _write_counter(session, value + 1)

        async with first.write() as session:
            value = await _read_counter(session)
            task = asyncio.create_task(second_increments())
            await second_began.wait()
            # The second writer is stuck in BEGIN IMMEDIATE while we hold the lock.
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(second_read.wait(), BLOCKED_FOR)
            await _write_counter(session, value + 1)
        await task

        async with first.read() as session:
            final = await _read_counter(session)

    assert seen_by_second == [1]
    assert final == 2


async def test_sqlite_deferred_read_then_write_fails_at_once_when_another_wrote(
    sqlite_url: str,
) -> None:
    # Why write sessions begin IMMEDIATE: this is what a deferred one does.
    async with (
        _two_databases_with_counter(sqlite_url) as (first, second),
        second.read() as stale,
    ):
        value = await _read_counter(stale)
        async with first.write() as session:
            await _write_counter(session, 41)
        with pytest.raises(OperationalError, match="database is locked"):
            await _write_counter(stale, value + 1)


async def test_take_lock_makes_the_second_writer_wait_for_the_first(
    database_url: str,
) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        second_locked = asyncio.Event()

        async def second_takes_lock() -> None:
            async with second.write() as session:
                await take_lock(session, "test.lock")
                second_locked.set()

        async with first.write() as session:
            await take_lock(session, "test.lock")
            task = asyncio.create_task(second_takes_lock())
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(second_locked.wait(), BLOCKED_FOR)
        await task
        assert second_locked.is_set()
    finally:
        await first.dispose()
        await second.dispose()


def _agent_row(agent_id: str) -> AgentRow:
    return agent_repo.new_row(Agent(id=agent_id, display_name=agent_id), NOW)


async def _stored_agent_ids(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(AgentRow.id).order_by(AgentRow.id)))


@asynccontextmanager
async def _two_databases_with_counter(
    url: str,
) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one file, as two server processes would have."""
    first, second = Database(url), Database(url)
    try:
        async with first.write() as session:
            await session.execute(text("CREATE TABLE counter (value INTEGER)"))
            await session.execute(text("INSERT INTO counter VALUES (0)"))
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def _read_counter(session: AsyncSession) -> int:
    result = await session.execute(text("SELECT value FROM counter"))
    return int(result.scalar_one())


async def _write_counter(session: AsyncSession, value: int) -> None:
    await session.execute(text("UPDATE counter SET value = :value"), {"value": value})
