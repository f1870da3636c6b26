"""Every RPC x every role x own/other agent or team, against a real server.

The expectations below are written from the roles' definitions, not read
from ``api.policy``, so a wrong table entry fails here. A refused call must
answer PERMISSION_DENIED and change nothing: the presence revisions of both
agents, their catalog etags and the status type's etag are compared before
and after.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf import field_mask_pb2, timestamp_pb2

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    common_pb2,
    presence_pb2,
    presence_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
    status_types_pb2,
    status_types_pb2_grpc,
    telephony_pb2,
    telephony_pb2_grpc,
)
from presence_server.engine.clock import ManualClock
from tests.conftest import START
from tests.helpers.server import RunningServer, backend_url, running_server
from tests.security.conftest import API_KEY, auth_settings, bearer, mint

pytestmark = pytest.mark.asyncio(loop_scope="module")

OWN_AGENT, OWN_TEAM = "ann", "north"
OTHER_AGENT, OTHER_TEAM = "bob", "south"
STATUS_TYPE = "break"

CALLERS: dict[str, tuple[tuple[str, str], ...]] = {
    "agent": bearer(mint(sub="ann", role="agent")),
    "supervisor": bearer(mint(sub="sam", role="supervisor", teams=[OWN_TEAM])),
    "admin": bearer(mint(sub="root", role="admin")),
    "integration": (("x-api-key", API_KEY),),
    "subscriber": bearer(mint(sub="wall", role="subscriber")),
}

# Who may call what: role -> "any" (own and other) or "own" (own agent or
# team only); a role not named is refused. Admins may do everything.
EVERYONE = {r: "any" for r in ("agent", "supervisor", "integration", "subscriber")}
READERS = {"supervisor": "any", "integration": "any", "subscriber": "any"}
EXPECTED: dict[str, dict[str, str]] = {
    "CreateStatusType": {},
    "GetStatusType": EVERYONE,
    "ListStatusTypes": EVERYONE,
    "UpdateStatusType": {},
    "ArchiveStatusType": {},
    "UnarchiveStatusType": {},
    "DeleteStatusType": {},
    "CreateAgent": {},
    "GetAgent": {"agent": "own", **READERS},
    "ListAgents": READERS,
    "UpdateAgent": {},
    "ArchiveAgent": {},
    "UnarchiveAgent": {},
    "DeleteAgent": {},
    "SetStatus": {"agent": "own", "supervisor": "own"},
    "CancelUpcomingStatus": {"agent": "own", "supervisor": "own"},
    "GetPresence": {
        "agent": "own",
        "supervisor": "own",
        "integration": "any",
        "subscriber": "any",
    },
    "ListPresence": {"supervisor": "own", "integration": "any", "subscriber": "any"},
    "StartActivity": {"supervisor": "own", "integration": "any"},
    "EndActivity": {"supervisor": "own", "integration": "any"},
    "StartShift": {"agent": "own", "supervisor": "own"},
    "EndShift": {"agent": "own", "supervisor": "own"},
    "Connect": {"agent": "own"},
    "OpenSession": {"agent": "own"},
    "KeepAlive": {"agent": "own"},
    "CloseSession": {"agent": "own", "supervisor": "own"},
    "SubscribePresence": {
        "supervisor": "own",
        "integration": "any",
        "subscriber": "any",
    },
    "GetAgentReport": {"agent": "own", "supervisor": "own", "subscriber": "any"},
    "GetTeamReport": {"supervisor": "own", "subscriber": "any"},
    "GetAgentTimeline": {"agent": "own", "supervisor": "own", "subscriber": "any"},
    "ListAdapters": READERS,
}


def _request(rpc: str, agent: str, team: str) -> Any:
    """A request of ``rpc`` about ``agent`` (or its ``team``)."""
    start = timestamp_pb2.Timestamp()
    start.FromDatetime(START - timedelta(days=1))
    end = timestamp_pb2.Timestamp()
    end.FromDatetime(START)
    p, st, ag = presence_pb2, status_types_pb2, agents_pb2
    request_id = uuid.uuid4().hex
    stale = "stale-etag"
    requests: dict[str, Any] = {
        "CreateStatusType": st.CreateStatusTypeRequest(
            status_type=st.StatusType(
                name=f"Coaching {request_id[:6]}",
                color="#8E24AA",
                kind=common_pb2.STATUS_KIND_UNAVAILABLE,
            )
        ),
        "GetStatusType": st.GetStatusTypeRequest(id=STATUS_TYPE),
        "ListStatusTypes": st.ListStatusTypesRequest(),
        "UpdateStatusType": st.UpdateStatusTypeRequest(
            status_type=st.StatusType(id=STATUS_TYPE, color="#000000", etag=stale),
            update_mask=field_mask_pb2.FieldMask(paths=["color"]),
        ),
        "ArchiveStatusType": st.ArchiveStatusTypeRequest(id=STATUS_TYPE, etag=stale),
        "UnarchiveStatusType": st.UnarchiveStatusTypeRequest(
            id=STATUS_TYPE, etag=stale
        ),
        "DeleteStatusType": st.DeleteStatusTypeRequest(id=STATUS_TYPE, etag=stale),
        "CreateAgent": ag.CreateAgentRequest(
            agent=ag.Agent(id=f"new-{request_id[:8]}", display_name="New", team=team)
        ),
        "GetAgent": ag.GetAgentRequest(id=agent),
        "ListAgents": ag.ListAgentsRequest(),
        "UpdateAgent": ag.UpdateAgentRequest(
            agent=ag.Agent(id=agent, display_name="Renamed", etag=stale),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        "ArchiveAgent": ag.ArchiveAgentRequest(id=agent, etag=stale),
        "UnarchiveAgent": ag.UnarchiveAgentRequest(id=agent, etag=stale),
        "DeleteAgent": ag.DeleteAgentRequest(id=agent, etag=stale),
        "SetStatus": p.SetStatusRequest(
            agent_id=agent, status_type_id="available", request_id=request_id
        ),
        "CancelUpcomingStatus": p.CancelUpcomingStatusRequest(
            agent_id=agent, request_id=request_id
        ),
        "GetPresence": p.GetPresenceRequest(agent_id=agent),
        "ListPresence": p.ListPresenceRequest(filter=p.PresenceFilter(teams=[team])),
        "StartActivity": p.StartActivityRequest(
            agent_id=agent,
            kind=common_pb2.ACTIVITY_KIND_CALL,
            external_id=request_id,
            request_id=request_id,
        ),
        "EndActivity": p.EndActivityRequest(
            agent_id=agent, external_id="no-such-call", request_id=request_id
        ),
        "StartShift": p.StartShiftRequest(agent_id=agent, request_id=request_id),
        "EndShift": p.EndShiftRequest(agent_id=agent, request_id=request_id),
        "Connect": p.ConnectRequest(agent_id=agent, client_name="matrix"),
        "OpenSession": p.OpenSessionRequest(agent_id=agent, ttl_seconds=60),
        "KeepAlive": p.KeepAliveRequest(session_id=f"{agent}:no-such-session"),
        "CloseSession": p.CloseSessionRequest(session_id=f"{agent}:no-such-session"),
        "SubscribePresence": p.SubscribePresenceRequest(
            filter=p.PresenceFilter(teams=[team]), include_snapshot=True
        ),
        "GetAgentReport": reports_pb2.GetAgentReportRequest(
            agent_id=agent, start_time=start, end_time=end, time_zone="UTC"
        ),
        "GetTeamReport": reports_pb2.GetTeamReportRequest(
            team=team, start_time=start, end_time=end, time_zone="UTC"
        ),
        "GetAgentTimeline": reports_pb2.GetAgentTimelineRequest(
            agent_id=agent, start_time=start, end_time=end
        ),
        "ListAdapters": telephony_pb2.ListTelephonyAdaptersRequest(),
    }
    return requests[rpc]


class Stubs:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.by_rpc: dict[str, Any] = {}
        for stub_type, service in (
            (status_types_pb2_grpc.StatusTypeServiceStub, status_types_pb2),
            (agents_pb2_grpc.AgentServiceStub, agents_pb2),
            (presence_pb2_grpc.PresenceServiceStub, presence_pb2),
            (reports_pb2_grpc.ReportServiceStub, reports_pb2),
            (telephony_pb2_grpc.TelephonyServiceStub, telephony_pb2),
        ):
            stub = stub_type(channel)
            for descriptor in service.DESCRIPTOR.services_by_name.values():
                for method in descriptor.methods:
                    self.by_rpc[method.name] = getattr(stub, method.name)


async def _call(stubs: Stubs, rpc: str, request: Any, metadata: Any) -> grpc.StatusCode:
    method = stubs.by_rpc[rpc]
    try:
        if rpc in ("Connect", "SubscribePresence"):
            call = method(request, metadata=metadata, timeout=10)
            async for _ in call:
                break
            call.cancel()
        else:
            await method(request, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _state(server: RunningServer) -> tuple[Any, ...]:
    admin = CALLERS["admin"]
    revisions = []
    for agent_id in (OWN_AGENT, OTHER_AGENT):
        presence = await server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id=agent_id), metadata=admin
        )
        agent = await server.agents.GetAgent(
            agents_pb2.GetAgentRequest(id=agent_id), metadata=admin
        )
        revisions.append((presence.revision, agent.etag))
    status_type = await server.status_types.GetStatusType(
        status_types_pb2.GetStatusTypeRequest(id=STATUS_TYPE), metadata=admin
    )
    return (*revisions, status_type.etag)


@pytest_asyncio.fixture(
    scope="module", loop_scope="module", params=["sqlite", "postgresql"]
)
async def matrix_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[RunningServer, Stubs]]:
    directory = tmp_path_factory.mktemp("matrix")
    settings = auth_settings(
        directory, auth_rate_per_second=100_000, auth_rate_burst=100_000
    )
    async with (
        backend_url(request.param, directory) as url,
        running_server(url, directory, clock=ManualClock(START), **settings) as server,
    ):
        for agent_id, team in ((OWN_AGENT, OWN_TEAM), (OTHER_AGENT, OTHER_TEAM)):
            await server.agents.CreateAgent(
                agents_pb2.CreateAgentRequest(
                    agent=agents_pb2.Agent(
                        id=agent_id, display_name=agent_id, team=team
                    )
                ),
                metadata=CALLERS["admin"],
            )
        yield server, Stubs(server.channel)


# Calls naming a session rather than an agent.
SESSION_RPCS = ("KeepAlive", "CloseSession")

CASES = [
    pytest.param(rpc, role, target, id=f"{rpc}-{role}-{target}")
    for rpc in EXPECTED
    for role in CALLERS
    for target in ("own", "other")
]


@pytest.mark.parametrize(("rpc", "role", "target"), CASES)
async def test_permission(
    matrix_server: tuple[RunningServer, Stubs], rpc: str, role: str, target: str
) -> None:
    server, stubs = matrix_server
    reach = "any" if role == "admin" else EXPECTED[rpc].get(role)
    allowed = reach == "any" or (reach == "own" and target == "own")
    agent, team = (
        (OWN_AGENT, OWN_TEAM) if target == "own" else (OTHER_AGENT, OTHER_TEAM)
    )
    before = await _state(server)

    code = await _call(stubs, rpc, _request(rpc, agent, team), CALLERS[role])

    if allowed:
        assert code not in (
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
        ), f"{role} should reach {rpc} for the {target} agent"
    elif rpc in SESSION_RPCS and role == "agent":
        # Another agent's session is answered as one that does not exist.
        assert code is grpc.StatusCode.NOT_FOUND
        assert await _state(server) == before
    else:
        assert code is grpc.StatusCode.PERMISSION_DENIED
        assert await _state(server) == before
