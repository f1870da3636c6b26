"""Presence as clients see it: the stored state joined with names and colors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from presence_server.domain.agents import Agent
from presence_server.domain.presence import (
    ConnectionState,
    Presence,
    PresenceView,
    StatusRef,
)
from presence_server.domain.status_types import StatusKind, StatusType


def status_ref(types: Mapping[str, StatusType], status_id: str) -> StatusRef:
    st = types.get(status_id)
    if st is None:
        # A type deleted from under history; still shown, plainly.
        return StatusRef(status_id, status_id, "#000000", StatusKind.UNAVAILABLE.value)
    return StatusRef(st.id, st.name, st.color, st.kind.value)


def view(
    presence: Presence,
    agent: Agent,
    types: Mapping[str, StatusType],
    as_of: datetime,
) -> PresenceView:
    """The presence of ``agent`` at ``as_of`` (which must not precede it)."""
    s = presence
    chosen = types.get(s.status_id)
    effective = status_ref(types, s.effective_id)
    used = s.use_spent
    if s.segment_since is not None:
        used += max(0.0, (as_of - s.segment_since).total_seconds())
    routable = (
        effective.kind == StatusKind.AVAILABLE.value
        and not s.activities
        and s.connection is not ConnectionState.DISCONNECTED
    )
    return PresenceView(
        agent_id=s.agent_id,
        display_name=agent.display_name,
        team=agent.team,
        status=status_ref(types, s.status_id),
        effective=effective,
        upcoming=status_ref(types, s.upcoming.status_id) if s.upcoming else None,
        activities=s.activities,
        since=s.effective_since,
        status_since=s.status_since,
        allowed_seconds=chosen.allowed_seconds if chosen else 0,
        used_seconds=int(used),
        overage_since=s.overage_since,
        uses_this_shift=s.uses.get(s.status_id, 0),
        limit_per_shift=chosen.limit_per_shift if chosen else 0,
        connection=s.connection,
        shift_id=s.shift_id,
        shift_start=s.shift_start,
        wrap_up_until=s.wrap_up_until,
        routable=routable,
        revision=s.revision,
        as_of=as_of,
    )
