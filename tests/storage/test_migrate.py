"""Migrations: build the schema the models describe, once, even when raced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from presence_server.domain.agents import Agent
from presence_server.storage import Database, current_revision, head_revision, migrate
from presence_server.storage import agents as agent_repo
from presence_server.storage.migrate import MIGRATIONS_DIR
from presence_server.storage.models import AgentRow, Base

NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)


async def test_fresh_database_has_no_revision(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert await current_revision(db) is None
    finally:
        await db.dispose()


async def test_migrate_creates_the_catalog_tables_at_head(database: Database) -> None:
    async with database.engine.connect() as connection:
        tables, name_indexes = await connection.run_sync(_tables_and_name_indexes)

    assert {"status_types", "agents", "alembic_version"} <= tables
    assert name_indexes == [("uq_status_types_live_name_key", True)]
    assert await current_revision(database) == head_revision()


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences_from_models)

    assert differences == []


async def test_migrating_again_changes_nothing_and_keeps_data(
    database: Database,
) -> None:
    async with database.write() as session:
        session.add(agent_repo.new_row(Agent(id="kept", display_name="Kept"), NOW))

    await migrate(database)

    assert await current_revision(database) == head_revision()
    async with database.read() as session:
        assert list(await session.scalars(select(AgentRow.id))) == ["kept"]


async def test_two_engines_migrating_a_fresh_database_at_once_both_succeed(
    empty_database_url: str,
) -> None:
    # Two server processes starting on the same new database.
    first, second = Database(empty_database_url), Database(empty_database_url)
    try:
        await asyncio.gather(migrate(first), migrate(second))

        assert await current_revision(first) == head_revision()
        async with first.engine.connect() as connection:
            differences = await connection.run_sync(_differences_from_models)
        assert differences == []
    finally:
        await first.dispose()
        await second.dispose()


def test_revisions_ship_inside_the_package() -> None:
    versions = sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py"))

    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert versions[0] == "0001_catalog.py"
    assert head_revision() == versions[-1].split("_", 1)[0]


def _tables_and_name_indexes(
    connection: Connection,
) -> tuple[set[str], list[tuple[str, bool]]]:
    inspector = inspect(connection)
    indexes = [
        (index["name"] or "", bool(index["unique"]))
        for index in inspector.get_indexes("status_types")
    ]
    return set(inspector.get_table_names()), indexes


def _differences_from_models(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "target_metadata": Base.metadata}
    )
    return list(compare_metadata(context, Base.metadata))
