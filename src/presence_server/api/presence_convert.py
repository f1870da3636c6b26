"""Presence views and events to protobuf, and request enums to domain types."""

from __future__ import annotations

from presence_server._proto.presence.v1 import common_pb2, presence_pb2
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.presence import (
    ActivityKind,
    Actor,
    Event,
    Outcome,
    PresenceView,
    Source,
    StatusRef,
)
from presence_server.domain.status_types import StatusType
from presence_server.security.identity import Role, current_identity

from .convert import status_type_to_proto, timestamp_to_proto


def status_ref_to_proto(ref: StatusRef) -> common_pb2.StatusRef:
    return common_pb2.StatusRef(
        id=ref.id,
        name=ref.name,
        color=ref.color,
        kind=common_pb2.StatusKind.Value(f"STATUS_KIND_{ref.kind}"),
    )


def view_to_proto(v: PresenceView) -> presence_pb2.AgentStatus:
    message = presence_pb2.AgentStatus(
        agent_id=v.agent_id,
        display_name=v.display_name,
        team=v.team,
        status=status_ref_to_proto(v.status),
        effective_status=status_ref_to_proto(v.effective),
        activities=[
            presence_pb2.Activity(
                kind=activity_kind_to_proto(a.kind),
                external_id=a.external_id,
                start_time=timestamp_to_proto(a.start),
            )
            for a in v.activities
        ],
        since=timestamp_to_proto(v.since),
        status_since=timestamp_to_proto(v.status_since),
        allowed_seconds=v.allowed_seconds,
        used_seconds=v.used_seconds,
        uses_this_shift=v.uses_this_shift,
        limit_per_shift=v.limit_per_shift,
        connection=presence_pb2.ConnectionState.Value(
            f"CONNECTION_STATE_{v.connection.value}"
        ),
        shift_id=v.shift_id,
        routable=v.routable,
        revision=v.revision,
        as_of=timestamp_to_proto(v.as_of),
    )
    if v.upcoming is not None:
        message.upcoming_status.CopyFrom(status_ref_to_proto(v.upcoming))
    if v.overage_since is not None:
        message.overage_since.CopyFrom(timestamp_to_proto(v.overage_since))
    if v.shift_start is not None:
        message.shift_start.CopyFrom(timestamp_to_proto(v.shift_start))
    if v.wrap_up_until is not None:
        message.wrap_up_until.CopyFrom(timestamp_to_proto(v.wrap_up_until))
    return message


def change_to_proto(v: PresenceView, outcome: Outcome) -> presence_pb2.PresenceChange:
    return presence_pb2.PresenceChange(
        presence=view_to_proto(v),
        outcome=presence_pb2.Outcome.Value(f"OUTCOME_{outcome.value}"),
    )


def event_to_proto(
    event: Event, reason: str = "", status_type: StatusType | None = None
) -> presence_pb2.PresenceEvent:
    """An event of the log; ``status_type`` for EVENT_TYPE_STATUS_TYPE_CHANGED."""
    message = presence_pb2.PresenceEvent(
        revision=event.revision,
        type=presence_pb2.EventType.Value(f"EVENT_TYPE_{event.type.value}"),
        time=timestamp_to_proto(event.time),
        agent_id=event.agent_id,
        source=source_to_proto(event.actor.source),
        actor=event.actor.name,
        reason=reason or event.actor.reason,
    )
    if event.previous is not None:
        message.previous.CopyFrom(view_to_proto(event.previous))
    if event.current is not None:
        message.current.CopyFrom(view_to_proto(event.current))
    if status_type is not None:
        message.status_type.CopyFrom(status_type_to_proto(status_type))
    return message


def source_to_proto(source: Source) -> presence_pb2.Source.ValueType:
    return presence_pb2.Source.Value(f"SOURCE_{source.value}")


def activity_kind_to_proto(kind: ActivityKind) -> common_pb2.ActivityKind.ValueType:
    return common_pb2.ActivityKind.Value(f"ACTIVITY_KIND_{kind.value}")


def activity_kind_from_proto(value: int, field: str = "kind") -> ActivityKind:
    if value == common_pb2.ACTIVITY_KIND_UNSPECIFIED:
        raise InvalidArgument(
            [
                FieldViolation(
                    field, f"is required: one of {_names(common_pb2.ActivityKind)}"
                )
            ]
        )
    try:
        name = common_pb2.ActivityKind.Name(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidArgument(
            [
                FieldViolation(
                    field,
                    f"unknown value {value}; use {_names(common_pb2.ActivityKind)}",
                )
            ]
        ) from None
    return ActivityKind(name.removeprefix("ACTIVITY_KIND_"))


def acting(source: Source, agent_id: str, reason: str = "") -> Actor:
    """Who a change comes from.

    With authentication on it is the caller's identity (``agent:ann``,
    ``supervisor:sam``, ``apikey:crm``), and a change to an agent made by
    anyone but that agent is a supervisor's; without, it is ``agent_id``
    with the given source, as the request says.
    """
    identity = current_identity.get()
    if identity is None:
        return Actor(source, agent_id, reason)
    if source is Source.AGENT and identity.role is not Role.AGENT:
        source = Source.SUPERVISOR
    return Actor(source, identity.actor, reason)


def requested_actor(source: int, agent_id: str, reason: str) -> Actor:
    """Who a SetStatus comes from: the agent (default) or a supervisor.

    The request's ``source`` is believed only without authentication; with
    it, the caller's identity decides (see ``acting``).
    """
    if current_identity.get() is not None and source in (
        presence_pb2.SOURCE_UNSPECIFIED,
        presence_pb2.SOURCE_AGENT,
        presence_pb2.SOURCE_SUPERVISOR,
    ):
        return acting(Source.AGENT, agent_id, reason)
    if source in (presence_pb2.SOURCE_UNSPECIFIED, presence_pb2.SOURCE_AGENT):
        return Actor(Source.AGENT, agent_id, reason)
    if source == presence_pb2.SOURCE_SUPERVISOR:
        return Actor(Source.SUPERVISOR, "supervisor", reason)
    raise InvalidArgument(
        [
            FieldViolation(
                "source", "must be SOURCE_AGENT or SOURCE_SUPERVISOR (or left unset)"
            )
        ]
    )


def _names(enum_type: object) -> str:
    keys = enum_type.keys()  # type: ignore[attr-defined]
    return ", ".join(k for k in keys if not k.endswith("_UNSPECIFIED"))
