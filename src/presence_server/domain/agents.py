"""Agents: the people whose status the server owns."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from presence_server.domain.errors import FieldViolation


class Role(enum.Enum):
    """What a person may do; enforced by the authentication layer."""

    AGENT = "AGENT"
    SUPERVISOR = "SUPERVISOR"
    ADMIN = "ADMIN"


ID_MAX = 128
DISPLAY_NAME_MAX = 128
TEAM_MAX = 64
QUEUES_MAX = 100

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_EXTENSION = re.compile(r"[0-9*#]{1,20}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/-]{0,63}")


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent, as configured. Instances are immutable snapshots."""

    id: str
    display_name: str
    team: str = ""
    extension: str = ""
    mobile_number: str = ""
    queues: tuple[str, ...] = field(default_factory=tuple)
    role: Role = Role.AGENT
    archived: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None
    etag: str = ""


UPDATABLE_FIELDS = frozenset(
    {"display_name", "team", "extension", "mobile_number", "queues", "role"}
)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c).startswith("C") for c in text)


def check_id(agent_id: str, field_name: str = "agent.id") -> list[FieldViolation]:
    if _ID.fullmatch(agent_id):
        return []
    return [
        FieldViolation(
            field_name,
            "must be 1-128 letters, digits, '.', '_', '@' or '-', starting with a "
            f"letter or digit (got {agent_id!r})",
        )
    ]


def check_fields(agent: Agent, prefix: str = "agent.") -> list[FieldViolation]:
    """Every violation of the field rules, in field order. Pure."""
    found: list[FieldViolation] = []

    def bad(name: str, text: str) -> None:
        found.append(FieldViolation(prefix + name, text))

    name = agent.display_name.strip()
    if not name:
        bad("display_name", "is required")
    elif len(name) > DISPLAY_NAME_MAX:
        bad("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    elif _has_control(name):
        bad("display_name", "must not contain control characters")
    team = agent.team.strip()
    if len(team) > TEAM_MAX:
        bad("team", f"must be at most {TEAM_MAX} characters")
    elif _has_control(team):
        bad("team", "must not contain control characters")
    if agent.extension and not _EXTENSION.fullmatch(agent.extension):
        bad("extension", f"must be 1-20 digits, '*' or '#' (got {agent.extension!r})")
    if agent.mobile_number and not _E164.fullmatch(agent.mobile_number):
        bad(
            "mobile_number",
            "must be in E.164 form: '+', country code and number, no spaces, "
            f"like +972541234567 (got {agent.mobile_number!r})",
        )
    if len(agent.queues) > QUEUES_MAX:
        bad("queues", f"at most {QUEUES_MAX} queues")
    for queue in agent.queues:
        if not _QUEUE.fullmatch(queue):
            bad("queues", f"queue name {queue!r} is not valid")
    if len(set(agent.queues)) != len(agent.queues):
        bad("queues", "lists a queue twice")
    return found
