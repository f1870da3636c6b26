"""Fixtures for catalog tests: a seeded catalog and a way to see every row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from presence_server.catalog import Catalog
from presence_server.domain.errors import PresenceError
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.storage.models import AgentRow, StatusTypeRow

Snapshot = dict[str, list[dict[str, Any]]]


@pytest.fixture
async def catalog(database: Database, clock: ManualClock) -> Catalog:
    """A catalog on a migrated database, with the built-ins and defaults."""
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    return catalog


@pytest.fixture
def snapshot(database: Database) -> Callable[[], Awaitable[Snapshot]]:
    """``await snapshot()``: every stored row, deleted ones too, to compare.

    Taken before and after a refused call, it shows the call changed nothing.
    """

    async def take() -> Snapshot:
        taken: Snapshot = {}
        async with database.read() as session:
            for model in (StatusTypeRow, AgentRow):
                table = model.__table__
                rows = await session.execute(select(table).order_by(table.c.id))
                taken[table.name] = [dict(row) for row in rows.mappings()]
        return taken

    return take


Refused = Callable[
    [Callable[[], Awaitable[object]], type[PresenceError], str], Awaitable[Any]
]


@pytest.fixture
def refused(snapshot: Callable[[], Awaitable[Snapshot]]) -> Refused:
    """``err = await refused(lambda: call(...), ErrorType, "REASON")``.

    Checks that the call raises that error with that reason and that no
    stored row changed; returns the error for further checks.
    """

    async def check(
        call: Callable[[], Awaitable[object]], error: type[PresenceError], reason: str
    ) -> Any:
        before = await snapshot()
        with pytest.raises(error) as caught:
            await call()
        assert caught.value.reason == reason, caught.value.message
        assert await snapshot() == before
        return caught.value

    return check
