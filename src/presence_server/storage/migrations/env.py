"""Alembic environment for the server's schema.

The server runs migrations through ``presence_server.storage.migrate``, which
opens a connection on its own engine (SQLite pragmas, write lock, advisory
lock on PostgreSQL) and hands it over in ``config.attributes["connection"]``;
the migrations then run inside that connection's transaction.

Developers may also use the alembic command line from a source checkout,
for instance to write a new revision::

    alembic -c src/presence_server/storage/migrations/alembic.ini \\
        revision -m "presence tables"

From the command line the database is ``PRESENCE_DATABASE_URL``, reached
through the server's own ``Database`` and the same locking as ``migrate``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from presence_server.storage.db import WRITE_LOCK_OPTION, Database
from presence_server.storage.migrate import run_locked
from presence_server.storage.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch operations copy the table.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_command_line(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            await connection.execution_options(**{WRITE_LOCK_OPTION: True})
            await connection.run_sync(run_locked, run_migrations)
    finally:
        await db.dispose()


_connection = context.config.attributes.get("connection")
if _connection is not None:
    run_migrations(_connection)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
else:
    _url = os.environ.get("PRESENCE_DATABASE_URL", "")
    if not _url:
        raise SystemExit("set PRESENCE_DATABASE_URL to the database to migrate")
    asyncio.run(_run_from_command_line(_url))
