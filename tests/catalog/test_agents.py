"""Agents through the catalog: validation, updates, lifecycle and paging."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from presence_server.catalog import Catalog
from presence_server.catalog.common import (
    AGENT_ID_TAKEN,
    AGENT_IN_USE,
    AGENT_NOT_FOUND,
    EXTENSION_TAKEN,
    INVALID_AGENT,
    INVALID_PAGE_SIZE,
    INVALID_PAGE_TOKEN,
    INVALID_UPDATE_MASK,
    MISSING_ID,
)
from presence_server.domain.agents import Agent, Role
from presence_server.domain.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PresenceError,
)
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.storage import agents as agent_repo

from .conftest import Refused

DANA = Agent(
    id="dana",
    display_name="Dana Levi",
    team="north",
    extension="1001",
    mobile_number="+972541234567",
    queues=("sales", "support"),
    role=Role.AGENT,
)


@dataclass(frozen=True)
class Bad:
    changes: dict[str, Any]
    error: type[PresenceError]
    reason: str
    field: str


def _fields(error: PresenceError) -> list[str]:
    return [v.field for v in error.field_violations] or [error.metadata.get("field")]


BAD_AGENTS = [
    pytest.param(
        Bad({"id": ""}, InvalidArgument, INVALID_AGENT, "agent.id"), id="id-empty"
    ),
    pytest.param(
        Bad({"id": "dana levi"}, InvalidArgument, INVALID_AGENT, "agent.id"),
        id="id-space",
    ),
    pytest.param(
        Bad({"id": "-dana"}, InvalidArgument, INVALID_AGENT, "agent.id"),
        id="id-starts-with-dash",
    ),
    pytest.param(
        Bad({"id": "d" * 129}, InvalidArgument, INVALID_AGENT, "agent.id"),
        id="id-too-long",
    ),
    pytest.param(
        Bad(
            {"display_name": " "}, InvalidArgument, INVALID_AGENT, "agent.display_name"
        ),
        id="display-name-blank",
    ),
    pytest.param(
        Bad(
            {"display_name": "D" * 129},
            InvalidArgument,
            INVALID_AGENT,
            "agent.display_name",
        ),
        id="display-name-too-long",
    ),
    pytest.param(
        Bad(
            {"display_name": "Dana\nLevi"},
            InvalidArgument,
            INVALID_AGENT,
            "agent.display_name",
        ),
        id="display-name-control-char",
    ),
    pytest.param(
        Bad({"team": "t" * 65}, InvalidArgument, INVALID_AGENT, "agent.team"),
        id="team-too-long",
    ),
    pytest.param(
        Bad({"extension": "10a1"}, InvalidArgument, INVALID_AGENT, "agent.extension"),
        id="extension-letters",
    ),
    pytest.param(
        Bad(
            {"mobile_number": "0541234567"},
            InvalidArgument,
            INVALID_AGENT,
            "agent.mobile_number",
        ),
        id="mobile-not-e164",
    ),
    pytest.param(
        Bad(
            {"mobile_number": "+972 54 123 4567"},
            InvalidArgument,
            INVALID_AGENT,
            "agent.mobile_number",
        ),
        id="mobile-with-spaces",
    ),
    pytest.param(
        Bad(
            {"queues": ("sales", "sales")},
            InvalidArgument,
            INVALID_AGENT,
            "agent.queues",
        ),
        id="queue-twice",
    ),
    pytest.param(
        Bad({"queues": ("bad queue",)}, InvalidArgument, INVALID_AGENT, "agent.queues"),
        id="queue-name-bad",
    ),
    pytest.param(
        Bad(
            {"queues": tuple(f"q{n}" for n in range(101))},
            InvalidArgument,
            INVALID_AGENT,
            "agent.queues",
        ),
        id="too-many-queues",
    ),
    pytest.param(
        Bad({"id": "anna"}, AlreadyExists, AGENT_ID_TAKEN, "agent.id"), id="id-taken"
    ),
]


@pytest.mark.parametrize("bad", BAD_AGENTS)
async def test_bad_agent_is_refused_and_stores_nothing(
    catalog: Catalog, refused: Refused, bad: Bad
) -> None:
    await catalog.create_agent(replace(DANA, id="anna"))

    error = await refused(
        lambda: catalog.create_agent(replace(DANA, **bad.changes)),
        bad.error,
        bad.reason,
    )

    assert bad.field in _fields(error)


async def test_create_stores_trimmed_values_with_times_and_etag(
    catalog: Catalog, clock: ManualClock
) -> None:
    created = await catalog.create_agent(
        replace(DANA, display_name="  Dana Levi ", team=" north ", archived=True)
    )

    assert created == replace(
        DANA, create_time=clock.now(), update_time=clock.now(), etag="1"
    )
    assert await catalog.get_agent("dana") == created


async def test_get_unknown_or_empty_id_is_refused(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as missing:
        await catalog.get_agent("nobody")
    with pytest.raises(InvalidArgument) as empty:
        await catalog.get_agent("")

    assert missing.value.reason == AGENT_NOT_FOUND
    assert missing.value.resource == ("agent", "nobody")
    assert empty.value.reason == MISSING_ID


BAD_UPDATES = [
    pytest.param((), {}, InvalidArgument, INVALID_UPDATE_MASK, id="mask-empty"),
    pytest.param(("id",), {}, InvalidArgument, INVALID_UPDATE_MASK, id="mask-id"),
    pytest.param(
        ("archived",), {}, InvalidArgument, INVALID_UPDATE_MASK, id="mask-archived"
    ),
    pytest.param(
        ("nickname",), {}, InvalidArgument, INVALID_UPDATE_MASK, id="mask-unknown"
    ),
    pytest.param(
        ("update_time",), {}, InvalidArgument, INVALID_UPDATE_MASK, id="mask-output"
    ),
    pytest.param(
        ("mobile_number",),
        {"mobile_number": "12345"},
        InvalidArgument,
        INVALID_AGENT,
        id="mobile-bad",
    ),
    pytest.param(
        ("display_name",),
        {"display_name": ""},
        InvalidArgument,
        INVALID_AGENT,
        id="display-name-empty",
    ),
]


@pytest.mark.parametrize(("paths", "changes", "error", "reason"), BAD_UPDATES)
async def test_bad_update_is_refused_and_changes_nothing(
    catalog: Catalog,
    refused: Refused,
    paths: tuple[str, ...],
    changes: dict[str, Any],
    error: type[PresenceError],
    reason: str,
) -> None:
    created = await catalog.create_agent(DANA)

    await refused(
        lambda: catalog.update_agent(
            "dana", replace(created, **changes), paths, created.etag
        ),
        error,
        reason,
    )


async def test_update_of_unknown_agent_is_not_found(
    catalog: Catalog, refused: Refused
) -> None:
    await refused(
        lambda: catalog.update_agent("nobody", DANA, ["team"], ""),
        NotFound,
        AGENT_NOT_FOUND,
    )


async def test_update_with_stale_etag_is_aborted(
    catalog: Catalog, refused: Refused
) -> None:
    created = await catalog.create_agent(DANA)
    await catalog.update_agent("dana", replace(created, team="south"), ["team"], "")

    await refused(
        lambda: catalog.update_agent(
            "dana", replace(created, team="east"), ["team"], created.etag
        ),
        Aborted,
        "ETAG_MISMATCH",
    )


async def test_update_changes_masked_fields_only(
    catalog: Catalog, clock: ManualClock
) -> None:
    created = await catalog.create_agent(DANA)
    await clock.advance(timedelta(minutes=1))
    changes = replace(created, team=" south ", role=Role.SUPERVISOR, extension="9")

    updated = await catalog.update_agent(
        "dana", changes, ["team", "role"], created.etag
    )

    assert updated == replace(
        created,
        team="south",
        role=Role.SUPERVISOR,
        update_time=clock.now(),
        etag="2",
    )


async def test_update_that_changes_nothing_keeps_the_etag(catalog: Catalog) -> None:
    created = await catalog.create_agent(DANA)

    same = await catalog.update_agent(
        "dana", replace(created, team="north "), ["team", "queues"], created.etag
    )

    assert same == created


async def test_archive_and_unarchive_are_idempotent_and_hide_from_lists(
    catalog: Catalog,
) -> None:
    created = await catalog.create_agent(DANA)

    archived = await catalog.archive_agent("dana", created.etag)
    again = await catalog.archive_agent("dana", archived.etag)
    hidden = await catalog.list_agents()
    shown = await catalog.list_agents(include_archived=True)
    back = await catalog.unarchive_agent("dana", "")

    assert archived == again
    assert (archived.archived, archived.etag) == (True, "2")
    assert hidden.agents == []
    assert shown.agents == [archived]
    assert (back.archived, back.etag) == (False, "3")


@pytest.mark.parametrize("verb", ["archive", "unarchive", "delete"])
async def test_lifecycle_calls_check_existence_and_etag(
    catalog: Catalog, refused: Refused, verb: str
) -> None:
    created = await catalog.create_agent(DANA)
    await catalog.update_agent("dana", replace(created, team="south"), ["team"], "")
    call = {
        "archive": catalog.archive_agent,
        "unarchive": catalog.unarchive_agent,
        "delete": catalog.delete_agent,
    }[verb]

    await refused(lambda: call("nobody", ""), NotFound, AGENT_NOT_FOUND)
    await refused(lambda: call("dana", created.etag), Aborted, "ETAG_MISMATCH")


async def test_delete_of_agent_with_history_is_refused(
    catalog: Catalog, database: Database, clock: ManualClock, refused: Refused
) -> None:
    await catalog.create_agent(DANA)
    async with database.write() as session:
        await agent_repo.mark_agent_used(session, "dana", clock.now())

    error = await refused(
        lambda: catalog.delete_agent("dana", ""), FailedPrecondition, AGENT_IN_USE
    )

    assert "archive it instead" in error.message


async def test_deleted_agent_is_gone_and_its_id_can_be_created_again(
    catalog: Catalog, clock: ManualClock, refused: Refused
) -> None:
    created = await catalog.create_agent(DANA)
    await catalog.delete_agent("dana", created.etag)

    with pytest.raises(NotFound):
        await catalog.get_agent("dana")
    assert (await catalog.list_agents(include_archived=True)).agents == []

    await clock.advance(timedelta(hours=1))
    again = await catalog.create_agent(replace(DANA, display_name="Dana Cohen"))

    assert again.display_name == "Dana Cohen"
    assert again.create_time == clock.now()
    # The old etag never matches the new agent.
    assert again.etag not in {"1", "2"}
    await refused(
        lambda: catalog.archive_agent("dana", created.etag), Aborted, "ETAG_MISMATCH"
    )


@pytest.mark.parametrize(
    ("page_size", "page_token", "reason"),
    [
        pytest.param(-1, "", INVALID_PAGE_SIZE, id="negative-size"),
        pytest.param(0, "not-a-token", INVALID_PAGE_TOKEN, id="garbage-token"),
        pytest.param(0, "e30", INVALID_PAGE_TOKEN, id="token-without-fields"),
        pytest.param(0, "!!!!", INVALID_PAGE_TOKEN, id="token-not-base64"),
    ],
)
async def test_bad_paging_is_refused(
    catalog: Catalog, page_size: int, page_token: str, reason: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await catalog.list_agents(page_size=page_size, page_token=page_token)

    assert caught.value.reason == reason


async def test_pages_walk_all_agents_in_id_order(catalog: Catalog) -> None:
    ids = ["b", "A", "a", "c.d", "B-2", "z@x"]
    for agent_id in ids:
        await catalog.create_agent(replace(DANA, id=agent_id, extension=""))

    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await catalog.list_agents(page_size=4, page_token=token)
        seen += [a.id for a in page.agents]
        pages += 1
        token = page.next_page_token
        if not token:
            break

    # By code point, the same on every backend: upper case before lower.
    assert seen == sorted(ids) == ["A", "B-2", "a", "b", "c.d", "z@x"]
    assert pages == 2


async def test_token_only_continues_the_query_it_came_from(catalog: Catalog) -> None:
    for agent_id in ["a1", "a2", "a3"]:
        await catalog.create_agent(replace(DANA, id=agent_id, extension=""))
    first = await catalog.list_agents(team="north", page_size=1)

    with pytest.raises(InvalidArgument) as caught:
        await catalog.list_agents(team="south", page_token=first.next_page_token)
    with pytest.raises(InvalidArgument):
        await catalog.list_agents(
            team="north", include_archived=True, page_token=first.next_page_token
        )

    assert caught.value.reason == INVALID_PAGE_TOKEN
    rest = await catalog.list_agents(team="north", page_token=first.next_page_token)
    assert [a.id for a in rest.agents] == ["a2", "a3"]


async def test_team_filter_and_archived_agents(catalog: Catalog) -> None:
    await catalog.create_agent(replace(DANA, id="n1", team="north", extension=""))
    await catalog.create_agent(replace(DANA, id="s1", team="south", extension=""))
    await catalog.create_agent(replace(DANA, id="n2", team="north", extension=""))
    await catalog.archive_agent("n2", "")

    north = await catalog.list_agents(team="north")
    north_all = await catalog.list_agents(team=" north ", include_archived=True)

    assert [a.id for a in north.agents] == ["n1"]
    assert [a.id for a in north_all.agents] == ["n1", "n2"]


@pytest.mark.parametrize("page_size", [0, 1000, 5000], ids=["default", "max", "over"])
async def test_page_size_defaults_to_and_is_capped_at_1000(
    catalog: Catalog, database: Database, clock: ManualClock, page_size: int
) -> None:
    async with database.write() as session:
        session.add_all(
            agent_repo.new_row(replace(DANA, id=f"agent-{n:04}"), clock.now())
            for n in range(1001)
        )

    page = await catalog.list_agents(page_size=page_size)
    rest = await catalog.list_agents(page_token=page.next_page_token)

    assert len(page.agents) == 1000
    assert page.agents[-1].id == "agent-0999"
    assert [a.id for a in rest.agents] == ["agent-1000"]
    assert rest.next_page_token == ""


async def test_two_live_agents_cannot_share_an_extension(
    catalog: Catalog, refused: Refused
) -> None:
    await catalog.create_agent(Agent(id="ann", display_name="Ann", extension="1001"))
    bob = await catalog.create_agent(Agent(id="bob", display_name="Bob"))

    error = await refused(
        lambda: catalog.create_agent(
            Agent(id="eve", display_name="Eve", extension="1001")
        ),
        AlreadyExists,
        EXTENSION_TAKEN,
    )
    await refused(
        lambda: catalog.update_agent(
            "bob", Agent(id="bob", display_name="", extension="1001"), ["extension"], ""
        ),
        AlreadyExists,
        EXTENSION_TAKEN,
    )

    assert "ann" in error.message
    archived = await catalog.archive_agent("ann", "")
    moved = await catalog.update_agent(
        "bob", Agent(id="bob", display_name="", extension="1001"), ["extension"], ""
    )
    assert moved.extension == "1001"
    assert moved.etag != bob.etag
    await refused(
        lambda: catalog.unarchive_agent("ann", archived.etag),
        AlreadyExists,
        EXTENSION_TAKEN,
    )
