"""Live presence: an agent's state, and the records its changes leave behind.

Plain data only. The transition rules live in ``presence_server.engine``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

# The latest instant the server accepts from a caller (a report range, the
# simulated clock). Far past any real use, and far enough before the end of
# ``datetime`` that a day or a year added to it (a local day, a timer) still
# fits.
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)


class Source(enum.Enum):
    """How a change came about."""

    AGENT = "AGENT"
    SUPERVISOR = "SUPERVISOR"
    ACTIVITY = "ACTIVITY"
    TELEPHONY = "TELEPHONY"
    DISCONNECT = "DISCONNECT"
    UPCOMING = "UPCOMING"
    SYSTEM = "SYSTEM"


class ActivityKind(enum.Enum):
    CALL = "CALL"
    CHAT = "CHAT"
    TASK = "TASK"
    INTERACTION = "INTERACTION"


class ConnectionState(enum.Enum):
    CONNECTED = "CONNECTED"
    GRACE = "GRACE"
    DISCONNECTED = "DISCONNECTED"


class SessionKind(enum.Enum):
    STREAM = "STREAM"
    LEASE = "LEASE"


class Outcome(enum.Enum):
    """What a state-changing command did."""

    APPLIED = "APPLIED"
    UPCOMING = "UPCOMING"
    UPCOMING_CLEARED = "UPCOMING_CLEARED"
    UNCHANGED = "UNCHANGED"


class EventType(enum.Enum):
    STATUS_CHANGED = "STATUS_CHANGED"
    UPCOMING_SET = "UPCOMING_SET"
    UPCOMING_CLEARED = "UPCOMING_CLEARED"
    UPCOMING_APPLIED = "UPCOMING_APPLIED"
    UPCOMING_REJECTED = "UPCOMING_REJECTED"
    ACTIVITY_STARTED = "ACTIVITY_STARTED"
    ACTIVITY_ENDED = "ACTIVITY_ENDED"
    ACTIVITY_EXPIRED = "ACTIVITY_EXPIRED"
    WRAP_UP_STARTED = "WRAP_UP_STARTED"
    WRAP_UP_ENDED = "WRAP_UP_ENDED"
    OVERAGE_STARTED = "OVERAGE_STARTED"
    CONNECTION_LOST = "CONNECTION_LOST"
    CONNECTION_RESTORED = "CONNECTION_RESTORED"
    SHIFT_STARTED = "SHIFT_STARTED"
    SHIFT_ENDED = "SHIFT_ENDED"
    STATUS_TYPE_CHANGED = "STATUS_TYPE_CHANGED"
    AGENT_CHANGED = "AGENT_CHANGED"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked for a change, and through what."""

    source: Source
    name: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    kind: ActivityKind
    external_id: str
    start: datetime


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A status chosen during an activity, waiting for the last one to end."""

    status_id: str
    actor: Actor
    chosen_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A client connection: a Connect stream or a lease kept by KeepAlive."""

    id: str
    kind: SessionKind
    opened_at: datetime
    # The server instance holding a stream; empty for leases.
    instance: str = ""
    # Leases only: when it ends without a KeepAlive.
    expires_at: datetime | None = None
    ttl_seconds: int = 0
    client: str = ""


@dataclass(frozen=True, slots=True)
class Presence:
    """An agent's live state. Immutable: transitions return a new one.

    The *chosen* status is what the agent picked (or was put in); a *use* of it
    lasts from entering it until another status is entered, and activities
    only pause it. The *effective* status is what is in force now: a SYSTEM
    type while an activity or wrap-up runs, the chosen status otherwise.
    """

    agent_id: str
    status_id: str
    # Start of the current use of the chosen status.
    status_since: datetime
    # Seconds of this use spent in the status itself before `segment_since`.
    use_spent: float
    # When the current stretch in the chosen status began; None while an
    # activity or wrap-up has the agent.
    segment_since: datetime | None
    # When the current use passed its allowed time (announced once).
    overage_since: datetime | None
    effective_id: str
    # Start of the current period, and how it was entered.
    effective_since: datetime
    period_actor: Actor
    period_new_use: bool
    upcoming: Upcoming | None = None
    activities: tuple[Activity, ...] = ()
    wrap_up_until: datetime | None = None
    shift_id: str = ""
    shift_start: datetime | None = None
    # Uses per status type id in the current shift.
    uses: Mapping[str, int] = field(default_factory=dict)
    sessions: tuple[Session, ...] = ()
    connection: ConnectionState = ConnectionState.DISCONNECTED
    # When the last session was lost, and when the grace period ends.
    lost_at: datetime | None = None
    grace_until: datetime | None = None
    revision: int = 0


@dataclass(frozen=True, slots=True)
class Period:
    """One closed stretch of time in one effective status."""

    agent_id: str
    status_id: str
    start: datetime
    end: datetime
    actor: Actor
    shift_id: str
    # True when the period began a new use of its status (counts a use).
    new_use: bool
    overage_seconds: float


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One finished activity."""

    agent_id: str
    kind: ActivityKind
    external_id: str
    start: datetime
    end: datetime
    shift_id: str
    expired: bool


@dataclass(frozen=True, slots=True)
class ShiftRecord:
    """A shift, written when it opens and again when it ends."""

    id: str
    agent_id: str
    start: datetime
    end: datetime | None
    end_actor: Actor | None = None


@dataclass(frozen=True, slots=True)
class StatusRef:
    """A status type as shown inside presence: enough to draw it."""

    id: str
    name: str
    color: str
    kind: str


@dataclass(frozen=True, slots=True)
class PresenceView:
    """What clients see of an agent's presence at one instant."""

    agent_id: str
    display_name: str
    team: str
    status: StatusRef
    effective: StatusRef
    upcoming: StatusRef | None
    activities: tuple[Activity, ...]
    since: datetime
    status_since: datetime
    allowed_seconds: int
    used_seconds: int
    overage_since: datetime | None
    uses_this_shift: int
    limit_per_shift: int
    connection: ConnectionState
    shift_id: str
    shift_start: datetime | None
    wrap_up_until: datetime | None
    routable: bool
    revision: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log."""

    revision: int
    type: EventType
    time: datetime
    agent_id: str
    actor: Actor
    previous: PresenceView | None = None
    current: PresenceView | None = None
