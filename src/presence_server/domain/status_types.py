"""Status types: what an administrator configures an agent's status to mean."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from presence_server.domain.errors import FieldViolation


class StatusKind(enum.Enum):
    """The family of a status; decides routing and how reports count it."""

    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    OFFLINE = "OFFLINE"
    SYSTEM = "SYSTEM"


# Ids of the built-in types. They exist from the first start, cannot be
# deleted or archived, and the engine refers to them by these ids.
AVAILABLE_ID = "available"
OFFLINE_ID = "offline"
CALL_ID = "call"
CHAT_ID = "chat"
TASK_ID = "task"
INTERACTION_ID = "interaction"
WRAP_UP_ID = "wrap-up"
BUILT_IN_IDS = frozenset(
    {AVAILABLE_ID, OFFLINE_ID, CALL_ID, CHAT_ID, TASK_ID, INTERACTION_ID, WRAP_UP_ID}
)

NAME_MAX = 64
LIMIT_PER_SHIFT_MAX = 1000
ALLOWED_MINUTES_MAX = 1440
SORT_ORDER_RANGE = (-100_000, 100_000)

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")


@dataclass(frozen=True, slots=True)
class TelephonyMapping:
    """What a status means on one telephony platform."""

    presence_profile: str = ""
    pause_reason: str = ""
    do_not_disturb: bool = False
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusType:
    """A configured status. Instances are immutable snapshots of one version."""

    id: str
    name: str
    color: str
    kind: StatusKind
    keep_on_disconnect: bool = False
    can_end_shift: bool = False
    limit_per_shift: int = 0
    allowed_minutes: int = 0
    ring_mobile: bool = False
    queue_login: bool = False
    external_calls: bool = False
    telephony: Mapping[str, TelephonyMapping] = field(default_factory=dict)
    selectable: bool = True
    sort_order: int = 0
    archived: bool = False
    built_in: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None
    etag: str = ""

    @property
    def allowed_seconds(self) -> int:
        return self.allowed_minutes * 60


# Fields an administrator may change with an update mask. Everything else is
# output only or has its own RPC (archive).
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "color",
        "kind",
        "keep_on_disconnect",
        "can_end_shift",
        "limit_per_shift",
        "allowed_minutes",
        "ring_mobile",
        "queue_login",
        "external_calls",
        "telephony",
        "selectable",
        "sort_order",
    }
)


def normalize_name(name: str) -> str:
    """The name as stored: surrounding whitespace removed, NFC."""
    return unicodedata.normalize("NFC", name.strip())


def name_key(name: str) -> str:
    """The key under which names must be unique (case-insensitive)."""
    return normalize_name(name).casefold()


def check_id(status_type_id: str) -> list[FieldViolation]:
    if _ID.fullmatch(status_type_id):
        return []
    return [
        FieldViolation(
            "status_type_id",
            "must be lower-case letters, digits and dashes, start with a letter, "
            f"at most 63 characters (got {status_type_id!r})",
        )
    ]


def check_fields(st: StatusType, prefix: str = "status_type.") -> list[FieldViolation]:
    """Every violation of the field rules, in field order. Pure."""
    found: list[FieldViolation] = []

    def bad(name: str, text: str) -> None:
        found.append(FieldViolation(prefix + name, text))

    name = normalize_name(st.name)
    if not name:
        bad("name", "is required")
    elif len(name) > NAME_MAX:
        bad("name", f"must be at most {NAME_MAX} characters (got {len(name)})")
    elif any(unicodedata.category(c).startswith("C") for c in name):
        bad("name", "must not contain control or invisible format characters")
    if not _COLOR.fullmatch(st.color):
        bad("color", f"must be #RRGGBB, like #2E7D32 (got {st.color!r})")
    if not 0 <= st.limit_per_shift <= LIMIT_PER_SHIFT_MAX:
        bad("limit_per_shift", f"must be 0-{LIMIT_PER_SHIFT_MAX}, 0 meaning no limit")
    if not 0 <= st.allowed_minutes <= ALLOWED_MINUTES_MAX:
        bad("allowed_minutes", f"must be 0-{ALLOWED_MINUTES_MAX}, 0 meaning no limit")
    low, high = SORT_ORDER_RANGE
    if not low <= st.sort_order <= high:
        bad("sort_order", f"must be between {low} and {high}")
    if st.kind is StatusKind.SYSTEM and not st.built_in:
        bad("kind", "SYSTEM types are driven by activities; only built-ins have it")
    if st.kind is StatusKind.SYSTEM and st.selectable:
        bad("selectable", "SYSTEM types can never be selected by agents")
    if st.kind is StatusKind.OFFLINE and not st.built_in:
        bad("kind", "there is exactly one OFFLINE type, the built-in 'offline'")
    for adapter, mapping in st.telephony.items():
        if not adapter or len(adapter) > 64:
            bad("telephony", f"adapter name {adapter!r} must be 1-64 characters")
        for key, value in (
            ("presence_profile", mapping.presence_profile),
            ("pause_reason", mapping.pause_reason),
        ):
            if len(value) > 128:
                bad(f"telephony.{adapter}.{key}", "must be at most 128 characters")
    return found


def defaults_for(kind: StatusKind) -> dict[str, bool]:
    """Values of the optional fields when a create request leaves them out."""
    working = kind is StatusKind.AVAILABLE
    return {
        "queue_login": working,
        "external_calls": working,
        "selectable": kind in (StatusKind.AVAILABLE, StatusKind.UNAVAILABLE),
    }


def _built_in(
    id: str, name: str, color: str, kind: StatusKind, sort_order: int, **extra: object
) -> StatusType:
    values: dict[str, object] = dict(defaults_for(kind))
    values.update(extra)
    return StatusType(
        id=id,
        name=name,
        color=color,
        kind=kind,
        sort_order=sort_order,
        built_in=True,
        **values,  # type: ignore[arg-type]
    )


def _seeded(
    id: str, name: str, color: str, sort_order: int, **extra: object
) -> StatusType:
    values: dict[str, object] = dict(defaults_for(StatusKind.UNAVAILABLE))
    values.update(extra)
    return StatusType(
        id=id,
        name=name,
        color=color,
        kind=StatusKind.UNAVAILABLE,
        sort_order=sort_order,
        **values,  # type: ignore[arg-type]
    )


# What exists on first start. Built-ins are fixed; the UNAVAILABLE defaults
# are a sensible starting point that administrators may change.
BUILT_IN_TYPES: tuple[StatusType, ...] = (
    _built_in(
        AVAILABLE_ID,
        "Available",
        "#2E7D32",
        StatusKind.AVAILABLE,
        0,
        can_end_shift=True,
    ),
    _built_in(
        OFFLINE_ID,
        "Offline",
        "#757575",
        StatusKind.OFFLINE,
        1000,
        keep_on_disconnect=True,
        can_end_shift=True,
        selectable=True,
    ),
    _built_in(
        CALL_ID,
        "On a call",
        "#C62828",
        StatusKind.SYSTEM,
        2000,
        keep_on_disconnect=True,
    ),
    _built_in(
        CHAT_ID,
        "In a chat",
        "#AD1457",
        StatusKind.SYSTEM,
        2001,
        keep_on_disconnect=True,
    ),
    _built_in(
        TASK_ID,
        "On a task",
        "#6A1B9A",
        StatusKind.SYSTEM,
        2002,
        keep_on_disconnect=True,
    ),
    _built_in(
        INTERACTION_ID,
        "In an interaction",
        "#4527A0",
        StatusKind.SYSTEM,
        2003,
        keep_on_disconnect=True,
    ),
    _built_in(
        WRAP_UP_ID,
        "Wrap-up",
        "#EF6C00",
        StatusKind.SYSTEM,
        2004,
        keep_on_disconnect=True,
    ),
)

# Queue login follows contact-center practice. Break and Lunch are short,
# planned pauses inside a shift: the agent stays logged into the queues,
# paused with the status name as reason, so queue statistics count the pause
# and the agent is back on Available without logging in again. Meeting,
# Idle and Away log out of the queues: a meeting is long and often ends the
# shift, and Idle and Away mean nobody is known to be at the desk, so the
# agent must not hold a seat that supervisors count as staffed.
SEEDED_TYPES: tuple[StatusType, ...] = (
    _seeded(
        "break",
        "Break",
        "#F9A825",
        10,
        limit_per_shift=3,
        allowed_minutes=15,
        keep_on_disconnect=True,
        queue_login=True,
    ),
    _seeded(
        "lunch",
        "Lunch",
        "#FB8C00",
        20,
        limit_per_shift=1,
        allowed_minutes=60,
        keep_on_disconnect=True,
        queue_login=True,
    ),
    _seeded(
        "meeting",
        "Meeting",
        "#1565C0",
        30,
        allowed_minutes=120,
        keep_on_disconnect=True,
        can_end_shift=True,
    ),
    _seeded("idle", "Idle", "#90A4AE", 40, can_end_shift=True),
    _seeded("away", "Away", "#8D6E63", 50, allowed_minutes=30, can_end_shift=True),
)
