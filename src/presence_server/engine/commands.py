"""What can be asked of an agent's presence. One dataclass per request kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from presence_server.domain.presence import ActivityKind, Actor, Session


@dataclass(frozen=True, slots=True)
class SetStatus:
    status_id: str
    actor: Actor
    expected_revision: int | None = None


@dataclass(frozen=True, slots=True)
class CancelUpcoming:
    actor: Actor


@dataclass(frozen=True, slots=True)
class StartActivity:
    kind: ActivityKind
    external_id: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class EndActivity:
    external_id: str
    actor: Actor
    # Overrides the configured wrap-up for the activity's kind when set.
    wrap_up_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class StartShift:
    actor: Actor


@dataclass(frozen=True, slots=True)
class EndShift:
    actor: Actor


@dataclass(frozen=True, slots=True)
class OpenSession:
    session: Session


@dataclass(frozen=True, slots=True)
class CloseSession:
    session_id: str
    # The moment the connection was lost (may be earlier than now after a
    # restart: the last moment the server knew it alive).
    lost_at: datetime


@dataclass(frozen=True, slots=True)
class KeepAlive:
    session_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Tick:
    """Fire every timer of the agent that is due by now."""


Command = (
    SetStatus
    | CancelUpcoming
    | StartActivity
    | EndActivity
    | StartShift
    | EndShift
    | OpenSession
    | CloseSession
    | KeepAlive
    | Tick
)
