"""First start seeds built-ins and defaults; later starts only missing built-ins."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from sqlalchemy import delete, func, select

from presence_server.catalog import Catalog
from presence_server.domain.status_types import (
    BUILT_IN_TYPES,
    SEEDED_TYPES,
    WRAP_UP_ID,
    StatusKind,
    StatusType,
)
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.storage.models import StatusTypeRow

BUILT_IN = {t.id for t in BUILT_IN_TYPES}
DEFAULTS = {t.id for t in SEEDED_TYPES}


async def test_first_start_creates_built_ins_and_defaults(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)

    added = await catalog.ensure_seeded()

    stored = await catalog.list_status_types(include_archived=True)
    assert set(added) == BUILT_IN | DEFAULTS
    assert {t.id for t in stored} == BUILT_IN | DEFAULTS
    assert {t.id for t in stored if t.built_in} == BUILT_IN
    assert [t.id for t in stored if t.kind is StatusKind.OFFLINE] == ["offline"]
    for expected in (*BUILT_IN_TYPES, *SEEDED_TYPES):
        found = next(t for t in stored if t.id == expected.id)
        assert found == replace(
            expected, create_time=clock.now(), update_time=clock.now(), etag="1"
        )


async def test_break_and_lunch_keep_the_queue_login_and_the_rest_log_out(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)

    await catalog.ensure_seeded()

    stored = {t.id: t.queue_login for t in await catalog.list_status_types()}
    assert {status_id: stored[status_id] for status_id in DEFAULTS} == {
        "break": True,
        "lunch": True,
        "meeting": False,
        "idle": False,
        "away": False,
    }


async def test_a_database_seeded_before_keeps_its_queue_login(
    database: Database, clock: ManualClock
) -> None:
    # A database seeded by an older version, when Break logged out.
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    old = await catalog.get_status_type("break")
    await catalog.update_status_type(
        "break", replace(old, queue_login=False), ["queue_login"], ""
    )

    added = await catalog.ensure_seeded()

    assert added == []
    assert (await catalog.get_status_type("break")).queue_login is False


async def test_second_start_adds_nothing(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    before = await catalog.list_status_types(include_archived=True)

    added = await catalog.ensure_seeded()

    assert added == []
    assert await catalog.list_status_types(include_archived=True) == before


async def test_defaults_an_administrator_changed_stay_changed(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    await catalog.delete_status_type("break", "")
    await catalog.archive_status_type("lunch", "")
    idle = await catalog.get_status_type("idle")
    await catalog.update_status_type(
        "idle", replace(idle, name="Idle time"), ["name"], ""
    )
    before = await catalog.list_status_types(include_archived=True)

    added = await catalog.ensure_seeded()

    assert added == []
    after = await catalog.list_status_types(include_archived=True)
    assert after == before
    assert "break" not in {t.id for t in after}


async def test_missing_built_in_is_added_again(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    await _remove_row(database, WRAP_UP_ID)

    added = await catalog.ensure_seeded()

    assert added == [WRAP_UP_ID]
    wrap_up = await catalog.get_status_type(WRAP_UP_ID)
    assert (wrap_up.name, wrap_up.built_in) == ("Wrap-up", True)


async def test_missing_built_in_whose_name_was_taken_gets_a_marked_name(
    database: Database, clock: ManualClock
) -> None:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    await _remove_row(database, WRAP_UP_ID)
    own = StatusType(
        id="", name="wrap-up", color="#000000", kind=StatusKind.UNAVAILABLE
    )
    await catalog.create_status_type(own, status_type_id="my-wrap-up")

    await catalog.ensure_seeded()

    wrap_up = await catalog.get_status_type(WRAP_UP_ID)
    assert wrap_up.name == "Wrap-up (built-in)"
    assert (await catalog.get_status_type("my-wrap-up")).name == "wrap-up"


async def test_instances_starting_together_seed_once(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    others = [Database(database_url) for _ in range(3)]
    try:
        for db in others:
            # Connected first, so that the three calls start together.
            async with db.read() as session:
                await session.execute(select(1))
        results = await asyncio.gather(
            *(Catalog(db, clock).ensure_seeded() for db in others)
        )
    finally:
        for db in others:
            await db.dispose()

    assert sorted(len(added) for added in results) == [0, 0, 12]
    async with database.read() as session:
        count = await session.scalar(select(func.count()).select_from(StatusTypeRow))
    assert count == len(BUILT_IN | DEFAULTS)


async def _remove_row(database: Database, status_type_id: str) -> None:
    # As an older version, which did not know this built-in, would have left it.
    async with database.write() as session:
        await session.execute(
            delete(StatusTypeRow).where(StatusTypeRow.id == status_type_id)
        )
