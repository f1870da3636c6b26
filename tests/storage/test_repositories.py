"""Repository functions the engine calls inside its own transactions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from presence_server.domain.agents import Agent, Role
from presence_server.domain.status_types import (
    SEEDED_TYPES,
    StatusKind,
    StatusType,
    TelephonyMapping,
)
from presence_server.storage import Database
from presence_server.storage import agents as agent_repo
from presence_server.storage import status_types as status_type_repo
from presence_server.storage.models import AgentRow, StatusTypeRow

NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

MAPPED = StatusType(
    id="coaching",
    name="Coaching",
    color="#123ABC",
    kind=StatusKind.UNAVAILABLE,
    limit_per_shift=2,
    allowed_minutes=45,
    telephony={
        "asterisk": TelephonyMapping(pause_reason="coaching"),
        "3cx": TelephonyMapping(
            presence_profile="Away", do_not_disturb=True, options={"a": "1"}
        ),
    },
    sort_order=7,
)


async def test_status_type_reads_back_as_the_domain_object_it_was(
    database: Database,
) -> None:
    async with database.write() as session:
        session.add(status_type_repo.new_row(MAPPED, NOW))

    async with database.read() as session:
        stored = await status_type_repo.get_status_type(session, "coaching")

    expected = replace(MAPPED, create_time=NOW, update_time=NOW, etag="1")
    assert stored == expected


async def test_agent_reads_back_as_the_domain_object_it_was(
    database: Database,
) -> None:
    agent = Agent(
        id="dana@example.com",
        display_name="Dana",
        team="north",
        extension="1001",
        mobile_number="+972541234567",
        queues=("sales", "support"),
        role=Role.SUPERVISOR,
    )
    async with database.write() as session:
        session.add(agent_repo.new_row(agent, NOW))

    async with database.read() as session:
        stored = await agent_repo.get_agent(session, "dana@example.com")

    assert stored == Agent(
        id="dana@example.com",
        display_name="Dana",
        team="north",
        extension="1001",
        mobile_number="+972541234567",
        queues=("sales", "support"),
        role=Role.SUPERVISOR,
        create_time=NOW,
        update_time=NOW,
        etag="1",
    )


async def test_deleted_rows_are_invisible_to_lookups(database: Database) -> None:
    async with database.write() as session:
        row = status_type_repo.new_row(SEEDED_TYPES[0], NOW)
        row.deleted_at = NOW
        session.add(row)
        agent = agent_repo.new_row(Agent(id="gone", display_name="Gone"), NOW)
        agent.deleted_at = NOW
        session.add(agent)

    async with database.read() as session:
        assert await status_type_repo.get_status_type(session, row.id) is None
        assert await status_type_repo.id_ever_used(session, row.id)
        assert await agent_repo.get_agent(session, "gone") is None


async def test_marking_a_status_type_used_records_the_first_use_only(
    database: Database,
) -> None:
    async with database.write() as session:
        session.add(status_type_repo.new_row(MAPPED, NOW))

    async with database.write() as session:
        first = await status_type_repo.mark_status_type_used(session, "coaching", NOW)
    async with database.write() as session:
        again = await status_type_repo.mark_status_type_used(session, "coaching", LATER)
        missing = await status_type_repo.mark_status_type_used(
            session, "no-such", LATER
        )

    async with database.read() as session:
        row = await session.scalar(select(StatusTypeRow))
    assert (first, again, missing) == (True, True, False)
    assert row is not None
    assert row.first_used_at == NOW
    assert row.revision == 1


async def test_marking_a_deleted_status_type_used_reports_it_gone(
    database: Database,
) -> None:
    async with database.write() as session:
        row = status_type_repo.new_row(MAPPED, NOW)
        row.deleted_at = NOW
        session.add(row)

    async with database.write() as session:
        marked = await status_type_repo.mark_status_type_used(
            session, "coaching", LATER
        )

    assert marked is False


async def test_marking_an_agent_used_records_the_first_use_only(
    database: Database,
) -> None:
    async with database.write() as session:
        session.add(agent_repo.new_row(Agent(id="ann", display_name="Ann"), NOW))

    async with database.write() as session:
        first = await agent_repo.mark_agent_used(session, "ann", NOW)
        again = await agent_repo.mark_agent_used(session, "ann", LATER)
        missing = await agent_repo.mark_agent_used(session, "bob", LATER)

    async with database.read() as session:
        row = await session.scalar(select(AgentRow))
    assert (first, again, missing) == (True, True, False)
    assert row is not None
    assert row.first_used_at == NOW
