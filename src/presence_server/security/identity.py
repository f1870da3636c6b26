"""The authenticated caller: a role, a name, and what the role reaches."""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.Enum):
    """What a caller may do; the policy table says which RPCs each reaches."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    INTEGRATION = "integration"
    SUBSCRIBER = "subscriber"


@dataclass(frozen=True, slots=True)
class Identity:
    """One authenticated caller.

    ``name`` is the token's ``sub`` or the API key's name; ``kind`` says
    which (``jwt`` or ``apikey``). ``agent_id`` is set for the agent role
    (the agent it may act for), ``teams`` for supervisors.
    ``expires_at`` is the instant the credential stops being accepted (a
    JWT's ``exp`` plus the leeway); ``None`` for API keys, which do not
    expire. It is not part of equality: the same caller with a renewed
    token is the same caller.
    """

    name: str
    role: Role
    kind: str = "jwt"
    agent_id: str = ""
    teams: frozenset[str] = frozenset()
    expires_at: datetime | None = field(default=None, compare=False)

    @property
    def actor(self) -> str:
        """How changes record this caller: ``agent:ann``, ``apikey:crm``."""
        prefix = "apikey" if self.kind == "apikey" else self.role.value
        return f"{prefix}:{self.name}"

    @property
    def key(self) -> str:
        """What limits are counted by: one bucket per caller."""
        return f"{self.kind}:{self.name}"


# Set by the API layer for the length of one call; ``None`` when
# authentication is off (development mode).
current_identity: ContextVar[Identity | None] = ContextVar(
    "current_identity", default=None
)


def current_actor_name(default: str) -> str:
    """The calling identity's actor name, or ``default`` when there is none."""
    identity = current_identity.get()
    return default if identity is None else identity.actor
