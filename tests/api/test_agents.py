"""AgentService through a real server and the generated stubs.

The tests share one server per backend; each works on agents of its own, in
a team of its own when it lists.
"""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2

from presence_server._proto.presence.v1 import agents_pb2, common_pb2
from presence_server.api.convert import timestamp_from_proto
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

pb = agents_pb2


async def _create(server: RunningServer, agent_id: str, **fields: object) -> pb.Agent:
    values: dict[str, object] = {"display_name": agent_id.title(), **fields}
    return await server.agents.CreateAgent(
        pb.CreateAgentRequest(agent=pb.Agent(id=agent_id, **values))
    )


async def _ids(server: RunningServer, **filters: object) -> list[str]:
    reply = await server.agents.ListAgents(pb.ListAgentsRequest(**filters))
    return [a.id for a in reply.agents]


async def test_create_returns_every_field_and_get_returns_the_same(
    shared_server: RunningServer,
) -> None:
    now = shared_server.clock.now()

    created = await _create(
        shared_server,
        "alice",
        display_name="Alice Martin",
        team="sales",
        extension="2001",
        mobile_number="+972541234567",
        queues=["sales", "support"],
        role=common_pb2.ROLE_SUPERVISOR,
    )

    assert (created.id, created.display_name, created.team) == (
        "alice",
        "Alice Martin",
        "sales",
    )
    assert (created.extension, created.mobile_number) == ("2001", "+972541234567")
    assert list(created.queues) == ["sales", "support"]
    assert created.role == common_pb2.ROLE_SUPERVISOR
    assert not created.archived
    assert created.etag
    assert timestamp_from_proto(created.create_time) == now
    fetched = await shared_server.agents.GetAgent(pb.GetAgentRequest(id="alice"))
    assert fetched == created


async def test_unspecified_role_is_agent(shared_server: RunningServer) -> None:
    created = await _create(shared_server, "bob")

    assert created.role == common_pb2.ROLE_AGENT


async def test_list_is_in_id_order_and_filters_by_team(
    shared_server: RunningServer,
) -> None:
    await _create(shared_server, "list-c", team="listing")
    await _create(shared_server, "list-a", team="listing")
    await _create(shared_server, "list-b", team="listing-other")

    everyone = await _ids(shared_server)

    assert [i for i in everyone if i.startswith("list-")] == [
        "list-a",
        "list-b",
        "list-c",
    ]
    assert everyone == sorted(everyone)
    assert await _ids(shared_server, team="listing") == ["list-a", "list-c"]


async def test_list_pages_follow_the_token_to_the_end(
    shared_server: RunningServer,
) -> None:
    for agent_id in ("page-1", "page-2", "page-3"):
        await _create(shared_server, agent_id, team="paging")

    first = await shared_server.agents.ListAgents(
        pb.ListAgentsRequest(team="paging", page_size=2)
    )
    second = await shared_server.agents.ListAgents(
        pb.ListAgentsRequest(
            team="paging", page_size=2, page_token=first.next_page_token
        )
    )

    assert [a.id for a in first.agents] == ["page-1", "page-2"]
    assert first.next_page_token
    assert [a.id for a in second.agents] == ["page-3"]
    assert second.next_page_token == ""


async def test_update_changes_only_the_masked_fields(
    shared_server: RunningServer,
) -> None:
    created = await _create(shared_server, "carol", team="sales", extension="2002")
    await shared_server.clock.advance(timedelta(seconds=30))

    updated = await shared_server.agents.UpdateAgent(
        pb.UpdateAgentRequest(
            agent=pb.Agent(
                id="carol", team="support", extension="9999", etag=created.etag
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["team"]),
        )
    )

    assert updated.team == "support"
    assert updated.extension == "2002"
    assert updated.etag != created.etag
    assert timestamp_from_proto(updated.update_time) == timestamp_from_proto(
        created.create_time
    ) + timedelta(seconds=30)


async def test_update_role_and_queues(shared_server: RunningServer) -> None:
    await _create(shared_server, "dave", queues=["sales"])

    updated = await shared_server.agents.UpdateAgent(
        pb.UpdateAgentRequest(
            agent=pb.Agent(id="dave", role=common_pb2.ROLE_ADMIN, queues=["vip"]),
            update_mask=field_mask_pb2.FieldMask(paths=["role", "queues"]),
        )
    )

    assert updated.role == common_pb2.ROLE_ADMIN
    assert list(updated.queues) == ["vip"]


async def test_archive_hides_an_agent_until_it_is_unarchived(
    shared_server: RunningServer,
) -> None:
    created = await _create(shared_server, "erin", team="archiving")

    archived = await shared_server.agents.ArchiveAgent(
        pb.ArchiveAgentRequest(id="erin", etag=created.etag)
    )

    assert archived.archived
    assert await _ids(shared_server, team="archiving") == []
    assert await _ids(shared_server, team="archiving", include_archived=True) == [
        "erin"
    ]

    restored = await shared_server.agents.UnarchiveAgent(
        pb.UnarchiveAgentRequest(id="erin", etag=archived.etag)
    )

    assert not restored.archived
    assert await _ids(shared_server, team="archiving") == ["erin"]


async def test_delete_removes_an_agent_without_history(
    shared_server: RunningServer,
) -> None:
    created = await _create(shared_server, "frank")

    await shared_server.agents.DeleteAgent(
        pb.DeleteAgentRequest(id="frank", etag=created.etag)
    )

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await shared_server.agents.GetAgent(pb.GetAgentRequest(id="frank"))
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert "frank" not in await _ids(shared_server, include_archived=True)
