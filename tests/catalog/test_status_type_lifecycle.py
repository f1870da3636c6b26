"""Archiving, unarchiving and deleting status types; concurrent writers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from presence_server.catalog import Catalog
from presence_server.catalog.common import (
    STATUS_TYPE_BUILT_IN,
    STATUS_TYPE_IN_USE,
    STATUS_TYPE_NAME_TAKEN,
    STATUS_TYPE_NOT_FOUND,
)
from presence_server.domain.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
)
from presence_server.domain.status_types import BUILT_IN_IDS, StatusKind, StatusType
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.storage import status_types as status_type_repo

from .conftest import Refused

DRAFT = StatusType(id="", name="Coaching", color="#123ABC", kind=StatusKind.UNAVAILABLE)

VERBS = ["archive", "unarchive", "delete"]


def _verb(catalog: Catalog, verb: str) -> Callable[[str, str], Awaitable[object]]:
    return {
        "archive": catalog.archive_status_type,
        "unarchive": catalog.unarchive_status_type,
        "delete": catalog.delete_status_type,
    }[verb]


@pytest.mark.parametrize("verb", VERBS)
async def test_unknown_id_is_not_found(
    catalog: Catalog, refused: Refused, verb: str
) -> None:
    error = await refused(
        lambda: _verb(catalog, verb)("no-such-type", ""),
        NotFound,
        STATUS_TYPE_NOT_FOUND,
    )

    assert error.resource == ("status_type", "no-such-type")


@pytest.mark.parametrize("verb", VERBS)
async def test_stale_etag_is_aborted(
    catalog: Catalog, refused: Refused, verb: str
) -> None:
    created = await catalog.create_status_type(DRAFT)
    await catalog.update_status_type(
        created.id, replace(created, color="#000000"), ["color"], ""
    )

    await refused(
        lambda: _verb(catalog, verb)(created.id, created.etag), Aborted, "ETAG_MISMATCH"
    )


@pytest.mark.parametrize("verb", ["archive", "delete"])
@pytest.mark.parametrize("built_in", sorted(BUILT_IN_IDS))
async def test_built_in_cannot_be_archived_or_deleted(
    catalog: Catalog, refused: Refused, verb: str, built_in: str
) -> None:
    error = await refused(
        lambda: _verb(catalog, verb)(built_in, ""),
        FailedPrecondition,
        STATUS_TYPE_BUILT_IN,
    )

    assert [v.type for v in error.precondition_violations] == ["BUILT_IN"]


async def test_archive_hides_the_type_and_frees_its_name(
    catalog: Catalog, clock: ManualClock
) -> None:
    created = await catalog.create_status_type(DRAFT)
    await clock.advance(timedelta(seconds=30))

    archived = await catalog.archive_status_type(created.id, created.etag)
    reused = await catalog.create_status_type(replace(DRAFT, name="COACHING"))

    assert archived == replace(
        created, archived=True, update_time=clock.now(), etag="2"
    )
    assert created.id not in {t.id for t in await catalog.list_status_types()}
    assert await catalog.get_status_type(created.id) == archived
    assert reused.name == "COACHING"


async def test_archive_and_unarchive_repeated_change_nothing(
    catalog: Catalog,
) -> None:
    created = await catalog.create_status_type(DRAFT)
    archived = await catalog.archive_status_type(created.id, "")

    assert await catalog.archive_status_type(created.id, archived.etag) == archived
    unarchived = await catalog.unarchive_status_type(created.id, archived.etag)
    assert await catalog.unarchive_status_type(created.id, "") == unarchived
    assert (unarchived.archived, unarchived.etag) == (False, "3")


async def test_unarchive_is_refused_when_the_name_was_taken_meanwhile(
    catalog: Catalog, refused: Refused
) -> None:
    old = await catalog.create_status_type(DRAFT)
    await catalog.archive_status_type(old.id, "")
    newer = await catalog.create_status_type(replace(DRAFT, name="coaching"))

    error = await refused(
        lambda: catalog.unarchive_status_type(old.id, ""),
        AlreadyExists,
        STATUS_TYPE_NAME_TAKEN,
    )

    assert error.metadata["existing_status_type_id"] == newer.id


async def test_archived_type_may_take_a_used_name_but_not_come_back_with_it(
    catalog: Catalog, refused: Refused
) -> None:
    old = await catalog.create_status_type(DRAFT)
    archived = await catalog.archive_status_type(old.id, "")

    renamed = await catalog.update_status_type(
        old.id, replace(archived, name="Lunch"), ["name"], ""
    )

    assert renamed.name == "Lunch"
    await refused(
        lambda: catalog.unarchive_status_type(old.id, ""),
        AlreadyExists,
        STATUS_TYPE_NAME_TAKEN,
    )


async def test_delete_removes_an_unused_type(catalog: Catalog) -> None:
    created = await catalog.create_status_type(DRAFT)

    await catalog.delete_status_type(created.id, created.etag)

    with pytest.raises(NotFound):
        await catalog.get_status_type(created.id)
    listed = await catalog.list_status_types(include_archived=True)
    assert created.id not in {t.id for t in listed}


async def test_delete_of_an_archived_unused_type_is_allowed(catalog: Catalog) -> None:
    created = await catalog.create_status_type(DRAFT)
    archived = await catalog.archive_status_type(created.id, "")

    await catalog.delete_status_type(created.id, archived.etag)

    with pytest.raises(NotFound):
        await catalog.get_status_type(created.id)


async def test_delete_of_a_used_type_is_refused_with_archive_advice(
    catalog: Catalog, database: Database, clock: ManualClock, refused: Refused
) -> None:
    created = await catalog.create_status_type(DRAFT)
    async with database.write() as session:
        await status_type_repo.mark_status_type_used(session, created.id, clock.now())

    error = await refused(
        lambda: catalog.delete_status_type(created.id, created.etag),
        FailedPrecondition,
        STATUS_TYPE_IN_USE,
    )

    assert "archive it instead" in error.message
    assert [v.type for v in error.precondition_violations] == ["IN_USE"]
    # Archiving is the way out.
    assert (await catalog.archive_status_type(created.id, "")).archived


async def test_deleted_type_cannot_be_updated_or_archived(
    catalog: Catalog, refused: Refused
) -> None:
    created = await catalog.create_status_type(DRAFT)
    await catalog.delete_status_type(created.id, "")

    await refused(
        lambda: catalog.update_status_type(created.id, created, ["color"], ""),
        NotFound,
        STATUS_TYPE_NOT_FOUND,
    )
    await refused(
        lambda: catalog.archive_status_type(created.id, ""),
        NotFound,
        STATUS_TYPE_NOT_FOUND,
    )


async def test_concurrent_creates_of_one_name_let_exactly_one_through(
    catalog: Catalog, database_url: str, clock: ManualClock
) -> None:
    # Two server instances, each with its own engine, racing for one name.
    others = [Database(database_url) for _ in range(2)]
    try:
        catalogs = await _connected_catalogs(others, clock)
        rounds = [
            await asyncio.gather(
                *(c.create_status_type(replace(DRAFT, name=name)) for c in catalogs),
                return_exceptions=True,
            )
            for name in ("Race 1", "Race 2", "Race 3")
        ]
    finally:
        for db in others:
            await db.dispose()

    listed = await catalog.list_status_types()
    for name, results in zip(("Race 1", "Race 2", "Race 3"), rounds, strict=True):
        created = [r for r in results if isinstance(r, StatusType)]
        refusals = [r for r in results if isinstance(r, AlreadyExists)]
        assert len(created) == 1, results
        assert [r.reason for r in refusals] == [STATUS_TYPE_NAME_TAKEN], results
        assert [t.id for t in listed if t.name == name] == [created[0].id]


async def test_concurrent_updates_with_one_etag_let_exactly_one_through(
    catalog: Catalog, database_url: str, clock: ManualClock
) -> None:
    current = await catalog.get_status_type("break")
    others = [Database(database_url) for _ in range(2)]
    try:
        catalogs = await _connected_catalogs(others, clock)
        results = await asyncio.gather(
            *(
                c.update_status_type(
                    "break", replace(current, color=color), ["color"], current.etag
                )
                for c, color in zip(catalogs, ["#111111", "#222222"], strict=True)
            ),
            return_exceptions=True,
        )
    finally:
        for db in others:
            await db.dispose()

    assert sorted(type(r).__name__ for r in results) == ["Aborted", "StatusType"]
    stored = await catalog.get_status_type("break")
    assert stored.etag == "2"
    assert [r for r in results if isinstance(r, StatusType)] == [stored]


async def _connected_catalogs(dbs: list[Database], clock: ManualClock) -> list[Catalog]:
    # Connect first, so that the calls under test start together.
    catalogs = [Catalog(db, clock) for db in dbs]
    for each in catalogs:
        await each.get_status_type("break")
    return catalogs
