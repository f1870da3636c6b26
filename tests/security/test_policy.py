"""The policy table: complete, closed by default, narrowing supervisors."""

from __future__ import annotations

import pytest

from presence_server._proto.presence.v1 import presence_pb2
from presence_server.api.policy import POLICIES, Scope, authorize
from presence_server.domain.errors import PermissionDenied
from presence_server.security.identity import Identity, Role
from tests.api.test_surface import proto_services
from tests.security.test_permission_matrix import EXPECTED

SAM = Identity("sam", Role.SUPERVISOR, teams=frozenset({"north"}))
ROOT = Identity("root", Role.ADMIN)
TEAMS = {"ann": "north", "bob": "south"}


class Teams:
    async def team_of(self, agent_id: str) -> str | None:
        return TEAMS.get(agent_id)


def test_every_rpc_has_a_policy() -> None:
    declared = {
        f"/{service.full_name}/{method.name}"
        for service in proto_services()
        for method in service.methods
    }

    assert declared == set(POLICIES)


def test_the_matrix_covers_every_served_rpc() -> None:
    served = {name.rpartition("/")[2] for name in POLICIES}

    assert set(EXPECTED) == served - {"GetClock", "AdvanceClock"}


async def test_an_rpc_without_a_policy_is_denied_even_to_an_admin() -> None:
    with pytest.raises(PermissionDenied) as denied:
        await authorize(ROOT, "/presence.v1.PresenceService/Teleport", None, Teams())

    assert denied.value.reason == "NO_POLICY"


@pytest.mark.parametrize("rpc", ["GetClock", "AdvanceClock"])
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
async def test_only_admins_reach_the_simulated_clock(rpc: str, role: Role) -> None:
    method = f"/presence.v1.SimulatedClockService/{rpc}"
    caller = Identity("someone", role, agent_id="ann", teams=frozenset({"north"}))

    with pytest.raises(PermissionDenied):
        await authorize(caller, method, None, Teams())
    assert POLICIES[method].roles == {Role.ADMIN: Scope.ALL}


async def test_a_supervisor_filter_without_teams_is_narrowed_to_theirs() -> None:
    request = presence_pb2.ListPresenceRequest()

    await authorize(SAM, "/presence.v1.PresenceService/ListPresence", request, Teams())

    assert list(request.filter.teams) == ["north"]


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(presence_pb2.PresenceFilter(teams=["south"]), id="other-team"),
        pytest.param(
            presence_pb2.PresenceFilter(teams=["north", "south"]), id="one-other-team"
        ),
        pytest.param(presence_pb2.PresenceFilter(agent_ids=["bob"]), id="other-agent"),
        pytest.param(presence_pb2.PresenceFilter(agent_ids=["zed"]), id="no-agent"),
    ],
)
async def test_a_supervisor_naming_what_is_not_theirs_is_denied(
    wanted: presence_pb2.PresenceFilter,
) -> None:
    request = presence_pb2.SubscribePresenceRequest(filter=wanted)

    with pytest.raises(PermissionDenied) as denied:
        await authorize(
            SAM, "/presence.v1.PresenceService/SubscribePresence", request, Teams()
        )

    assert denied.value.reason == "NOT_OWN_TEAM"


async def test_a_supervisor_follows_an_agent_moved_to_another_team() -> None:
    method = "/presence.v1.PresenceService/SetStatus"
    request = presence_pb2.SetStatusRequest(agent_id="ann")
    await authorize(SAM, method, request, Teams())

    TEAMS["ann"] = "south"
    try:
        with pytest.raises(PermissionDenied):
            await authorize(SAM, method, request, Teams())
    finally:
        TEAMS["ann"] = "north"
