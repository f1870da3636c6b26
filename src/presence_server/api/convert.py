"""Protobuf messages to domain types and back; the only place that does it.

``*_to_proto`` never fails: domain values are already valid. ``*_from_proto``
checks only what the domain types cannot express (an enum number the
contract does not define, a required enum left unspecified) and raises
``InvalidArgument`` naming the field; the field rules themselves (lengths,
ranges, formats) belong to the catalog.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from google.protobuf import field_mask_pb2, timestamp_pb2

from presence_server._proto.presence.v1 import (
    agents_pb2,
    common_pb2,
    status_types_pb2,
)
from presence_server.domain.agents import Agent, Role
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.status_types import (
    StatusKind,
    StatusType,
    TelephonyMapping,
)

# The ``optional`` fields of StatusType: when a create request leaves one
# out, the catalog picks the default for the kind.
OPTIONAL_STATUS_TYPE_FIELDS: tuple[
    Literal["queue_login", "external_calls", "selectable"], ...
] = ("queue_login", "external_calls", "selectable")


# --- requests -------------------------------------------------------------


def mask_paths(mask: field_mask_pb2.FieldMask) -> list[str]:
    """The distinct paths of an update mask, in the caller's order.

    Whether they name updatable fields is the catalog's rule (it knows which
    fields have their own RPC, which are output only), so it checks them.
    """
    return list(dict.fromkeys(mask.paths))


# --- scalars --------------------------------------------------------------


def timestamp_to_proto(instant: datetime) -> timestamp_pb2.Timestamp:
    """An aware instant as a Timestamp. Naive datetimes are refused."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}; instants must be aware")
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant.astimezone(UTC))
    return message


def timestamp_from_proto(message: timestamp_pb2.Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime."""
    return message.ToDatetime(tzinfo=UTC)


def _enum_name(enum_type: Any, value: int, field: str) -> str:
    try:
        return str(enum_type.Name(value))
    except ValueError:
        allowed = _choices(enum_type)
        raise InvalidArgument(
            [FieldViolation(field, f"unknown value {value}; use one of {allowed}")]
        ) from None


def status_kind_to_proto(kind: StatusKind) -> common_pb2.StatusKind.ValueType:
    return common_pb2.StatusKind.Value(f"STATUS_KIND_{kind.name}")


def status_kind_from_proto(value: int, field: str) -> StatusKind | None:
    """The kind, or ``None`` for STATUS_KIND_UNSPECIFIED."""
    name = _enum_name(common_pb2.StatusKind, value, field)
    if name == "STATUS_KIND_UNSPECIFIED":
        return None
    return StatusKind[name.removeprefix("STATUS_KIND_")]


def role_to_proto(role: Role) -> common_pb2.Role.ValueType:
    return common_pb2.Role.Value(f"ROLE_{role.name}")


def role_from_proto(value: int, field: str) -> Role | None:
    """The role, or ``None`` for ROLE_UNSPECIFIED."""
    name = _enum_name(common_pb2.Role, value, field)
    if name == "ROLE_UNSPECIFIED":
        return None
    return Role[name.removeprefix("ROLE_")]


def _choices(enum_type: Any) -> str:
    names: list[str] = enum_type.keys()
    return ", ".join(n for n in names if not n.endswith("UNSPECIFIED"))


def _required(field: str, enum_type: Any) -> InvalidArgument:
    allowed = _choices(enum_type)
    return InvalidArgument([FieldViolation(field, f"is required: one of {allowed}")])


# --- status types ---------------------------------------------------------


def telephony_to_proto(mapping: TelephonyMapping) -> status_types_pb2.TelephonyMapping:
    return status_types_pb2.TelephonyMapping(
        presence_profile=mapping.presence_profile,
        pause_reason=mapping.pause_reason,
        do_not_disturb=mapping.do_not_disturb,
        options=dict(mapping.options),
    )


def telephony_from_proto(
    message: status_types_pb2.TelephonyMapping,
) -> TelephonyMapping:
    return TelephonyMapping(
        presence_profile=message.presence_profile,
        pause_reason=message.pause_reason,
        do_not_disturb=message.do_not_disturb,
        options=dict(message.options),
    )


def status_type_to_proto(status_type: StatusType) -> status_types_pb2.StatusType:
    """Every field set, the optional ones included."""
    message = status_types_pb2.StatusType(
        id=status_type.id,
        name=status_type.name,
        color=status_type.color,
        kind=status_kind_to_proto(status_type.kind),
        keep_on_disconnect=status_type.keep_on_disconnect,
        can_end_shift=status_type.can_end_shift,
        limit_per_shift=status_type.limit_per_shift,
        allowed_minutes=status_type.allowed_minutes,
        ring_mobile=status_type.ring_mobile,
        queue_login=status_type.queue_login,
        external_calls=status_type.external_calls,
        selectable=status_type.selectable,
        sort_order=status_type.sort_order,
        archived=status_type.archived,
        built_in=status_type.built_in,
        etag=status_type.etag,
    )
    for adapter, mapping in status_type.telephony.items():
        message.telephony[adapter].CopyFrom(telephony_to_proto(mapping))
    if status_type.create_time is not None:
        message.create_time.CopyFrom(timestamp_to_proto(status_type.create_time))
    if status_type.update_time is not None:
        message.update_time.CopyFrom(timestamp_to_proto(status_type.update_time))
    return message


def status_type_from_proto(
    message: status_types_pb2.StatusType,
    *,
    kind_required: bool,
    prefix: str = "status_type.",
) -> StatusType:
    """The requested values of a StatusType message.

    Output-only fields (archived, built_in, times) are dropped. When
    ``kind_required`` is false and the kind is unspecified, the result holds
    a placeholder kind: the caller uses it only for the fields it names (an
    update whose mask leaves ``kind`` out).
    """
    kind = status_kind_from_proto(message.kind, prefix + "kind")
    if kind is None:
        if kind_required:
            raise _required(prefix + "kind", common_pb2.StatusKind)
        kind = StatusKind.UNAVAILABLE
    return StatusType(
        id=message.id,
        name=message.name,
        color=message.color,
        kind=kind,
        keep_on_disconnect=message.keep_on_disconnect,
        can_end_shift=message.can_end_shift,
        limit_per_shift=message.limit_per_shift,
        allowed_minutes=message.allowed_minutes,
        ring_mobile=message.ring_mobile,
        queue_login=message.queue_login,
        external_calls=message.external_calls,
        telephony={a: telephony_from_proto(m) for a, m in message.telephony.items()},
        selectable=message.selectable,
        sort_order=message.sort_order,
        etag=message.etag,
    )


def given_optional_fields(message: status_types_pb2.StatusType) -> frozenset[str]:
    """Names of the ``optional`` fields the caller set explicitly."""
    return frozenset(f for f in OPTIONAL_STATUS_TYPE_FIELDS if message.HasField(f))


# --- agents ---------------------------------------------------------------


def agent_to_proto(agent: Agent) -> agents_pb2.Agent:
    message = agents_pb2.Agent(
        id=agent.id,
        display_name=agent.display_name,
        team=agent.team,
        extension=agent.extension,
        mobile_number=agent.mobile_number,
        queues=list(agent.queues),
        role=role_to_proto(agent.role),
        archived=agent.archived,
        etag=agent.etag,
    )
    if agent.create_time is not None:
        message.create_time.CopyFrom(timestamp_to_proto(agent.create_time))
    if agent.update_time is not None:
        message.update_time.CopyFrom(timestamp_to_proto(agent.update_time))
    return message


def agent_from_proto(
    message: agents_pb2.Agent, *, role_required: bool, prefix: str = "agent."
) -> Agent:
    """The requested values of an Agent message; output-only fields dropped.

    An unspecified role means ROLE_AGENT unless ``role_required`` (an update
    that names ``role`` must say which).
    """
    role = role_from_proto(message.role, prefix + "role")
    if role is None:
        if role_required:
            raise _required(prefix + "role", common_pb2.Role)
        role = Role.AGENT
    return Agent(
        id=message.id,
        display_name=message.display_name,
        team=message.team,
        extension=message.extension,
        mobile_number=message.mobile_number,
        queues=tuple(message.queues),
        role=role,
        etag=message.etag,
    )
