"""Catalog writes append their events to the log, in the same transaction."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from presence_server.catalog import Catalog
from presence_server.domain.agents import Agent
from presence_server.domain.errors import AlreadyExists
from presence_server.domain.status_types import StatusKind, StatusType
from presence_server.storage import Database
from presence_server.storage.presence_models import CounterRow, EventRow


async def events(database: Database) -> list[EventRow]:
    async with database.read() as session:
        return list(await session.scalars(select(EventRow).order_by(EventRow.revision)))


async def counter(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(CounterRow.value)) or 0


async def test_status_type_changes_append_one_event_each_with_the_new_type(
    catalog: Catalog, database: Database
) -> None:
    created = await catalog.create_status_type(
        StatusType(id="", name="Coaching", color="#00AA00", kind=StatusKind.UNAVAILABLE)
    )
    renamed = replace(created, name="Coaching 1:1")
    await catalog.update_status_type(created.id, renamed, ["name"], "")
    await catalog.archive_status_type(created.id, "")

    log = await events(database)

    assert [e.type for e in log] == ["STATUS_TYPE_CHANGED"] * 3
    assert [e.revision for e in log] == [1, 2, 3]
    assert await counter(database) == 3
    names = [e.payload["status_type"]["name"] for e in log]
    assert names == ["Coaching", "Coaching 1:1", "Coaching 1:1"]
    assert [e.payload["status_type"]["archived"] for e in log] == [False, False, True]


async def test_writes_that_change_nothing_or_fail_append_nothing(
    catalog: Catalog, database: Database
) -> None:
    current = await catalog.get_status_type("break")

    await catalog.update_status_type("break", current, ["name"], "")
    await catalog.unarchive_status_type("break", "")
    with pytest.raises(AlreadyExists):
        await catalog.create_status_type(
            StatusType(
                id="", name="Lunch", color="#000000", kind=StatusKind.UNAVAILABLE
            )
        )

    assert await events(database) == []


async def test_agent_changes_carry_the_presence_before_and_after(
    catalog: Catalog, database: Database
) -> None:
    await catalog.create_agent(Agent(id="ann", display_name="Ann", team="north"))
    moved = Agent(id="ann", display_name="Ann", team="south")
    await catalog.update_agent("ann", moved, ["team"], "")
    await catalog.archive_agent("ann", "")
    await catalog.unarchive_agent("ann", "")

    log = await events(database)

    assert [e.type for e in log] == ["AGENT_CHANGED"] * 4
    assert {e.agent_id for e in log} == {"ann"}
    sides = [
        (
            (e.payload["previous"] or {}).get("team"),
            (e.payload["current"] or {}).get("team"),
        )
        for e in log
    ]
    assert sides == [
        (None, "north"),
        ("north", "south"),
        ("south", None),
        (None, "south"),
    ]


async def test_deleting_a_status_type_says_so(
    catalog: Catalog, database: Database
) -> None:
    created = await catalog.create_status_type(
        StatusType(id="", name="Drill", color="#123456", kind=StatusKind.UNAVAILABLE)
    )

    await catalog.delete_status_type(created.id, "")

    deleted = (await events(database))[-1]
    assert (deleted.reason, deleted.payload["deleted"]) == ("deleted", True)
    assert deleted.payload["status_type"]["id"] == created.id
