"""Desired telephony state: what an agent's status means on one PBX.

Plain data and pure functions. ``derive`` turns an agent, the status it chose
and one adapter's mapping into a ``DesiredState``; ``differences`` compares
it with what an adapter ``Observed`` on the platform. The sync worker stores
the desired state in the outbox, the adapters push it and read it back, and
the echo of our own writes is recognized by ``differences`` coming out empty.

How a status becomes a desired state (``derive``):

| field | value |
| --- | --- |
| logged_in | the status type's ``queue_login`` |
| paused | logged in, and the status kind is not AVAILABLE |
| pause_reason | when paused: the mapping's ``pause_reason``, else the status name |
| do_not_disturb | the mapping's ``do_not_disturb`` |
| presence | the mapping's ``presence_profile``, else ``DEFAULT_PRESENCE`` by kind |
| presence_message | the status name |
| ring_mobile | the status type's ``ring_mobile`` |
| external_calls | the status type's ``external_calls`` |

The status is the one the agent *chose*, not the effective one: a call, a
chat or wrap-up (SYSTEM statuses) changes nothing on the PBX, which knows
its own calls. Agents without an extension, and archived ones, are not
synchronized (``derive`` returns None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from presence_server.domain.agents import Agent
from presence_server.domain.status_types import (
    OFFLINE_ID,
    StatusKind,
    StatusType,
    TelephonyMapping,
)

# The fields of a TelephonyState, in the order they are reported.
STATE_FIELDS = (
    "logged_in",
    "queues",
    "paused",
    "pause_reason",
    "do_not_disturb",
    "presence",
    "presence_message",
    "ring_mobile",
    "external_calls",
)

# Presence value by status kind when the mapping names none. They are
# Asterisk's presence states; other adapters translate them.
DEFAULT_PRESENCE = {
    StatusKind.AVAILABLE: "available",
    StatusKind.UNAVAILABLE: "away",
    StatusKind.OFFLINE: "unavailable",
    StatusKind.SYSTEM: "away",
}

# A mapping option: a change made on the phone that matches this status's
# desired state puts the agent in this status (see ``inbound``).
FROM_PHONE_OPTION = "from_phone"


@dataclass(frozen=True, slots=True)
class AgentLine:
    """The agent as the PBX knows it: extension, queues, mobile number."""

    agent_id: str
    display_name: str
    extension: str
    queues: tuple[str, ...] = ()
    mobile_number: str = ""


@dataclass(frozen=True, slots=True)
class TelephonyState:
    """Absolute settings of one agent on a platform (never a toggle)."""

    logged_in: bool = False
    paused: bool = False
    # Empty unless paused.
    pause_reason: str = ""
    do_not_disturb: bool = False
    presence: str = ""
    presence_message: str = ""
    ring_mobile: bool = False
    external_calls: bool = False


@dataclass(frozen=True, slots=True)
class DesiredState:
    """What one adapter should make true for one agent."""

    line: AgentLine
    state: TelephonyState
    status_id: str
    status_name: str
    status_kind: StatusKind
    # The mapping's adapter-specific options, free form.
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def queues(self) -> frozenset[str]:
        """The queues the agent should be a member of."""
        return frozenset(self.line.queues) if self.state.logged_in else frozenset()


@dataclass(frozen=True, slots=True)
class Seat:
    """The agent's membership in one queue."""

    paused: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Observed:
    """What an adapter saw on the platform. None means "not known".

    ``queues`` maps a queue to the agent's seat in it, or to None when the
    agent is not a member. When ``queues_complete`` (a full read), queues
    missing from it count as "not a member"; otherwise (one event about one
    queue) only the queues named are compared. Platforms without per-queue
    membership report ``logged_in`` / ``paused`` / ``pause_reason`` instead.
    """

    queues: Mapping[str, Seat | None] | None = None
    queues_complete: bool = False
    logged_in: bool | None = None
    paused: bool | None = None
    pause_reason: str | None = None
    do_not_disturb: bool | None = None
    presence: str | None = None
    presence_message: str | None = None
    ring_mobile: bool | None = None
    external_calls: bool | None = None

    @property
    def known(self) -> bool:
        """Whether anything at all was observed."""
        return self.queues is not None or any(
            getattr(self, name) is not None for name in STATE_FIELDS if name != "queues"
        )


def derive(
    agent: Agent,
    status: StatusType | None,
    adapter: str,
    types: Mapping[str, StatusType] | None = None,
) -> DesiredState | None:
    """The desired state of ``agent`` in ``status`` for adapter ``adapter``.

    ``status`` is the agent's chosen status type (None when it was deleted:
    treated as an unnamed UNAVAILABLE status). ``types`` supplies the
    Offline type for archived agents. Returns None for agents the PBX cannot
    know: no extension, or archived without an Offline type to apply.
    """
    if not agent.extension:
        return None
    if agent.archived:
        status = (types or {}).get(OFFLINE_ID)
        if status is None:
            return None
    line = AgentLine(
        agent_id=agent.id,
        display_name=agent.display_name,
        extension=agent.extension,
        queues=tuple(agent.queues),
        mobile_number=agent.mobile_number,
    )
    if status is None:
        kind, name, st_id = StatusKind.UNAVAILABLE, "", ""
        queue_login = ring_mobile = external_calls = False
        mapping = TelephonyMapping()
    else:
        kind, name, st_id = status.kind, status.name, status.id
        queue_login = status.queue_login
        ring_mobile = status.ring_mobile
        external_calls = status.external_calls
        mapping = status.telephony.get(adapter) or TelephonyMapping()
    paused = queue_login and kind is not StatusKind.AVAILABLE
    state = TelephonyState(
        logged_in=queue_login,
        paused=paused,
        pause_reason=(mapping.pause_reason or name) if paused else "",
        do_not_disturb=mapping.do_not_disturb,
        presence=mapping.presence_profile or DEFAULT_PRESENCE[kind],
        presence_message=name,
        ring_mobile=ring_mobile,
        external_calls=external_calls,
    )
    return DesiredState(
        line=line,
        state=state,
        status_id=st_id,
        status_name=name,
        status_kind=kind,
        options=dict(mapping.options),
    )


def differences(desired: DesiredState, observed: Observed) -> tuple[str, ...]:
    """Names of the fields where ``observed`` contradicts ``desired``.

    Fields not observed (None) never differ: an empty answer means "in
    sync as far as the platform lets us see".
    """
    want = desired.state
    found: list[str] = []

    if observed.queues is not None:
        wanted = desired.queues
        member_of = {q for q, seat in observed.queues.items() if seat is not None}
        named = set(observed.queues)
        if observed.queues_complete:
            if member_of != wanted:
                found.append("queues")
        elif any((q in member_of) != (q in wanted) for q in named):
            found.append("queues")
        seats = [s for s in observed.queues.values() if s is not None]
        if any(s.paused != want.paused for s in seats):
            found.append("paused")
        elif any(s.paused and s.reason != want.pause_reason for s in seats):
            found.append("pause_reason")

    for name in STATE_FIELDS:
        if name == "queues":
            continue
        seen = getattr(observed, name)
        if seen is not None and seen != getattr(want, name) and name not in found:
            found.append(name)
    return tuple(found)


# --- JSON form (the outbox column) -----------------------------------------


def to_json(desired: DesiredState) -> dict[str, Any]:
    return {
        "line": {**asdict(desired.line), "queues": list(desired.line.queues)},
        "state": asdict(desired.state),
        "status_id": desired.status_id,
        "status_name": desired.status_name,
        "status_kind": desired.status_kind.value,
        "options": dict(desired.options),
    }


def from_json(data: Mapping[str, Any]) -> DesiredState:
    line = dict(data["line"])
    line["queues"] = tuple(line.get("queues", ()))
    return DesiredState(
        line=AgentLine(**line),
        state=TelephonyState(**data["state"]),
        status_id=data["status_id"],
        status_name=data["status_name"],
        status_kind=StatusKind(data["status_kind"]),
        options=dict(data.get("options", {})),
    )
