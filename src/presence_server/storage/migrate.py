"""Schema migrations: run at start and by ``presence-server migrate``.

The revisions live in ``storage/migrations/versions`` and ship inside the
package. ``migrate`` runs them on the application's own engine, from inside
the running event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from presence_server.storage.db import WRITE_LOCK_OPTION, Database, lock_key

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_LOCK_NAME = "presence_server.schema_migration"
_VERSION_TABLE = "alembic_version"

_T = TypeVar("_T")


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration for the packaged revisions.

    With ``connection``, the migrations run on it, inside its transaction.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of the server knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


async def current_revision(db: Database) -> str | None:
    """The revision the database is at; ``None`` when it was never migrated."""
    async with db.engine.connect() as connection:
        return await connection.run_sync(_current_revision)


async def migrate(db: Database) -> None:
    """Bring the schema up to the newest revision.

    Idempotent: on an up-to-date database it only reads the revision. Safe
    when several processes start on the same database at once: the whole
    upgrade is one transaction holding the SQLite write lock (taken at
    ``BEGIN``) or a PostgreSQL advisory lock, so the others wait, then find
    the schema current and do nothing. A failed upgrade changes nothing.
    """
    async with db.engine.connect() as connection:
        await connection.execution_options(**{WRITE_LOCK_OPTION: True})
        before, after = await connection.run_sync(run_locked, _upgrade_to_head)

    if before == after:
        logger.debug("database schema is current at %s (%s)", after, db.display_url)
    else:
        logger.info(
            "database schema upgraded from %s to %s (%s)",
            before or "empty",
            after,
            db.display_url,
        )


def run_locked(connection: Connection, action: Callable[[Connection], _T]) -> _T:
    """Run ``action`` in one transaction that excludes other migrations.

    ``connection`` must not have begun a transaction yet; on SQLite it must
    carry the write-lock execution option so that the transaction takes the
    write lock at ``BEGIN``.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations drop and re-create tables others refer to. SQLite's
        # way to do that: foreign keys off outside the transaction, checked
        # before the commit.
        _sqlite_pragma(connection, "foreign_keys = OFF")
    try:
        with connection.begin():
            if not sqlite:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": lock_key(_LOCK_NAME)},
                )
            result = action(connection)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(
                        f"migration would leave broken foreign keys: {broken[:5]}"
                    )
            return result
    finally:
        if sqlite:
            _sqlite_pragma(connection, "foreign_keys = ON")


def _upgrade_to_head(connection: Connection) -> tuple[str | None, str | None]:
    before = _current_revision(connection)
    command.upgrade(alembic_config(connection), "head")
    return before, _current_revision(connection)


def _current_revision(connection: Connection) -> str | None:
    # Read directly: a MigrationContext would log its set-up at INFO each time.
    if not inspect(connection).has_table(_VERSION_TABLE):
        return None
    versions = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}"))
    return versions.scalar()


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # Straight to the driver: through SQLAlchemy the statement would begin a
    # transaction, inside which SQLite ignores this pragma.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()
