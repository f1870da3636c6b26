"""Who may call what: one entry per RPC, checked in one place.

Each entry names what the request is about (its *subject*: an agent, a
session's agent, a team, a presence filter, or nothing) and, per role, how
far the role reaches:

- ``ALL``: any agent, team or resource;
- ``OWN``: the caller's own agent only (the token's ``agent_id``);
- ``TEAMS``: agents whose *current* team in the catalog is one of the
  caller's teams, or those teams themselves; a presence filter without
  teams is narrowed to them.

A role missing from an entry is refused, and so is an RPC missing from the
table (``test_every_rpc_has_a_policy`` keeps it complete). Admins reach
everything listed. ``authorize`` raises ``PermissionDenied`` before the
handler runs, so a refused call changes nothing. One exception: an agent
naming another agent's session (KeepAlive, CloseSession) gets the NOT_FOUND
a session that does not exist gets, so the answer confirms nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from presence_server.domain.errors import PermissionDenied, session_gone
from presence_server.security.identity import Identity, Role


class Scope(enum.Enum):
    ALL = "all"
    OWN = "own"
    TEAMS = "teams"


class Subject(enum.Enum):
    """Where in the request the policy finds what the call is about."""

    NONE = "none"  # nothing beyond the role (catalog, configuration)
    AGENT = "agent_id"  # request.agent_id
    AGENT_RECORD = "id"  # request.id of AgentService.GetAgent
    SESSION = "session_id"  # request.session_id, which starts with the agent id
    TEAM = "team"  # request.team
    FILTER = "filter"  # request.filter, a PresenceFilter


@dataclass(frozen=True, slots=True)
class RpcPolicy:
    """One RPC's rule; ``mutating`` calls count against the rate limit."""

    subject: Subject
    mutating: bool
    roles: Mapping[Role, Scope]


class TeamLookup(Protocol):
    """The catalog's answer to "which team is this agent in now"."""

    async def team_of(self, agent_id: str) -> str | None:
        """The agent's current team; ``None`` when there is no such agent."""
        ...


def _rpc(subject: Subject, mutating: bool, **roles: Scope) -> RpcPolicy:
    reach = {Role(name): scope for name, scope in roles.items()}
    reach[Role.ADMIN] = Scope.ALL
    return RpcPolicy(subject, mutating, reach)


ALL, OWN, TEAMS = Scope.ALL, Scope.OWN, Scope.TEAMS
_CONFIG = _rpc(Subject.NONE, True)  # admins only
_CATALOG_READ = _rpc(
    Subject.NONE, False, agent=ALL, supervisor=ALL, integration=ALL, subscriber=ALL
)
_AGENT_CHANGE = _rpc(Subject.AGENT, True, agent=OWN, supervisor=TEAMS)
_ACTIVITY = _rpc(Subject.AGENT, True, supervisor=TEAMS, integration=ALL)
_OWN_SESSION = _rpc(Subject.AGENT, True, agent=OWN)
_SESSION_CALL = _rpc(Subject.SESSION, True, agent=OWN, supervisor=TEAMS)
_AGENT_READ = _rpc(
    Subject.AGENT, False, agent=OWN, supervisor=TEAMS, integration=ALL, subscriber=ALL
)
_AGENT_REPORT = _rpc(Subject.AGENT, False, agent=OWN, supervisor=TEAMS, subscriber=ALL)
_PRESENCE_FILTER = _rpc(
    Subject.FILTER, False, supervisor=TEAMS, integration=ALL, subscriber=ALL
)

_ST = "/presence.v1.StatusTypeService/"
_AG = "/presence.v1.AgentService/"
_PR = "/presence.v1.PresenceService/"
_RE = "/presence.v1.ReportService/"

POLICIES: Mapping[str, RpcPolicy] = {
    # Status types: the menu is readable by all, changed by admins only.
    _ST + "CreateStatusType": _CONFIG,
    _ST + "GetStatusType": _CATALOG_READ,
    _ST + "ListStatusTypes": _CATALOG_READ,
    _ST + "UpdateStatusType": _CONFIG,
    _ST + "ArchiveStatusType": _CONFIG,
    _ST + "UnarchiveStatusType": _CONFIG,
    _ST + "DeleteStatusType": _CONFIG,
    # Agents: an agent reads its own record; the others read the catalog.
    _AG + "CreateAgent": _CONFIG,
    _AG + "GetAgent": _rpc(
        Subject.AGENT_RECORD,
        False,
        agent=OWN,
        supervisor=ALL,
        integration=ALL,
        subscriber=ALL,
    ),
    _AG + "ListAgents": _rpc(
        Subject.NONE, False, supervisor=ALL, integration=ALL, subscriber=ALL
    ),
    _AG + "UpdateAgent": _CONFIG,
    _AG + "ArchiveAgent": _CONFIG,
    _AG + "UnarchiveAgent": _CONFIG,
    _AG + "DeleteAgent": _CONFIG,
    # Presence. Activities are not the agent's: an agent must not fake a call.
    _PR + "SetStatus": _AGENT_CHANGE,
    _PR + "CancelUpcomingStatus": _AGENT_CHANGE,
    _PR + "GetPresence": _AGENT_READ,
    _PR + "ListPresence": _PRESENCE_FILTER,
    _PR + "StartActivity": _ACTIVITY,
    _PR + "EndActivity": _ACTIVITY,
    _PR + "StartShift": _AGENT_CHANGE,
    _PR + "EndShift": _AGENT_CHANGE,
    _PR + "Connect": _OWN_SESSION,
    _PR + "OpenSession": _OWN_SESSION,
    _PR + "KeepAlive": _rpc(Subject.SESSION, True, agent=OWN),
    # A supervisor may end a team agent's session; forcing the agent Offline
    # is SetStatus offline (CloseSession leaves that to the disconnect grace).
    _PR + "CloseSession": _SESSION_CALL,
    _PR + "SubscribePresence": _PRESENCE_FILTER,
    # Reports.
    _RE + "GetAgentReport": _AGENT_REPORT,
    _RE + "GetTeamReport": _rpc(Subject.TEAM, False, supervisor=TEAMS, subscriber=ALL),
    _RE + "GetAgentTimeline": _AGENT_REPORT,
    # Telephony: which adapters run, and whether they are connected.
    "/presence.v1.TelephonyService/ListAdapters": _rpc(
        Subject.NONE, False, supervisor=ALL, integration=ALL, subscriber=ALL
    ),
    # The simulated clock (only on such a server): admins only.
    "/presence.v1.SimulatedClockService/GetClock": _rpc(Subject.NONE, False),
    "/presence.v1.SimulatedClockService/AdvanceClock": _rpc(Subject.NONE, True),
}


def _denied(message: str, reason: str, identity: Identity) -> PermissionDenied:
    return PermissionDenied(message, reason=reason, metadata={"actor": identity.actor})


def _agent_of_session(session_id: str) -> str:
    return session_id.rpartition(":")[0]


async def authorize(
    identity: Identity,
    method: str,
    request: Any,
    teams: TeamLookup,
    policies: Mapping[str, RpcPolicy] = POLICIES,
) -> RpcPolicy:
    """Check ``identity`` may make this call; its policy, or ``PermissionDenied``.

    A supervisor's presence filter without teams is narrowed to the
    supervisor's teams in ``request`` itself.
    """
    name = method.rpartition("/")[2]
    policy = policies.get(method)
    if policy is None:
        raise _denied(f"{name} is open to nobody", "NO_POLICY", identity)
    scope = policy.roles.get(identity.role)
    if scope is None:
        raise _denied(
            f"{identity.actor} may not call {name}: the {identity.role.value} role "
            "does not reach it",
            "ROLE_NOT_ALLOWED",
            identity,
        )
    if scope is Scope.ALL or policy.subject is Subject.NONE:
        return policy
    if request is None:
        raise _denied(f"{name} cannot be checked", "NO_POLICY", identity)
    subject = policy.subject
    if subject is Subject.FILTER:
        await _check_filter(identity, scope, name, request.filter, teams)
    elif subject is Subject.TEAM:
        _check_team(identity, scope, name, request.team)
    elif subject is Subject.SESSION:
        session_id = request.session_id
        agent_id = _agent_of_session(session_id)
        if scope is Scope.OWN and (
            not identity.agent_id or agent_id != identity.agent_id
        ):
            # Another agent's session is answered as one that does not
            # exist, word for word: the answer must not confirm it does.
            raise session_gone(session_id)
        await _check_agent(identity, scope, name, agent_id, teams)
    else:
        agent_id = getattr(request, subject.value)
        await _check_agent(identity, scope, name, agent_id, teams)
    return policy


async def _check_agent(
    identity: Identity, scope: Scope, name: str, agent_id: str, teams: TeamLookup
) -> None:
    if scope is Scope.OWN:
        if not identity.agent_id or agent_id != identity.agent_id:
            raise _denied(
                f"{identity.actor} may call {name} only for its own agent "
                f"{identity.agent_id!r}, not {agent_id!r}",
                "NOT_OWN_AGENT",
                identity,
            )
        return
    team = await teams.team_of(agent_id) if agent_id else None
    if team is None or team not in identity.teams:
        raise _denied(
            f"{identity.actor} may call {name} only for agents of its teams "
            f"({_listed(identity.teams)}); {agent_id!r} is not in one",
            "NOT_OWN_TEAM",
            identity,
        )


def _check_team(identity: Identity, scope: Scope, name: str, team: str) -> None:
    if scope is not Scope.TEAMS or team not in identity.teams:
        raise _denied(
            f"{identity.actor} may call {name} only for its teams "
            f"({_listed(identity.teams)}), not {team!r}",
            "NOT_OWN_TEAM",
            identity,
        )


async def _check_filter(
    identity: Identity, scope: Scope, name: str, wanted: Any, teams: TeamLookup
) -> None:
    if scope is not Scope.TEAMS or not identity.teams:
        raise _denied(
            f"{identity.actor} has no teams to call {name} for",
            "NOT_OWN_TEAM",
            identity,
        )
    strangers = sorted(set(wanted.teams) - identity.teams)
    if strangers:
        raise _denied(
            f"{identity.actor} may call {name} only for its teams "
            f"({_listed(identity.teams)}), not {_listed(strangers)}",
            "NOT_OWN_TEAM",
            identity,
        )
    for agent_id in wanted.agent_ids:
        await _check_agent(identity, scope, name, agent_id, teams)
    if not wanted.teams:
        wanted.teams.extend(sorted(identity.teams))


def _listed(names: Any) -> str:
    return ", ".join(sorted(names)) or "none"
