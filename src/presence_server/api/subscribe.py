"""``SubscribePresence``: the gRPC side of live presence streams.

The stream logic lives in ``presence_server.streaming``; this module parses
the request, encodes messages (``ProtoEncoder``) and writes them. Messages
are encoded once and shared by every subscriber as bytes, so the method is
registered with a pass-through response serializer
(``register_presence_service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from presence_server._proto.presence.v1 import presence_pb2, presence_pb2_grpc
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.presence import Event, PresenceView
from presence_server.streaming import LogEntry, Streams, ViewFilter

from .convert import status_kind_from_proto
from .presence_convert import event_to_proto, view_to_proto

SERVICE = "presence.v1.PresenceService"
METHOD = "SubscribePresence"

_Response = presence_pb2.SubscribePresenceResponse


class ProtoEncoder:
    """``streaming.Encoder`` for ``SubscribePresenceResponse`` messages.

    Each part is a serialized response with some fields set; protobuf
    merges concatenated messages, so parts join into one message.
    """

    def event(self, entry: LogEntry) -> bytes:
        event = Event(
            revision=entry.revision,
            type=entry.type,
            time=entry.time,
            agent_id=entry.agent_id,
            actor=entry.actor,
            previous=entry.previous,
            current=entry.current,
        )
        message = event_to_proto(event, entry.reason, entry.status_type)
        return _Response(events=[message]).SerializeToString()

    def revision(self, revision: int) -> bytes:
        return _Response(revision=revision).SerializeToString()

    def snapshot(
        self, views: Sequence[PresenceView], *, end: bool, resync: bool, revision: int
    ) -> bytes:
        return _Response(
            snapshot=[view_to_proto(v) for v in views],
            snapshot_end=end,
            resync=resync,
            revision=revision,
        ).SerializeToString()

    def heartbeat(self, revision: int) -> bytes:
        return _Response(heartbeat=True, revision=revision).SerializeToString()


def filter_from_proto(message: presence_pb2.PresenceFilter) -> ViewFilter:
    """The request's filter, checked like ListPresence's."""
    kinds: set[str] = set()
    for value in message.kinds:
        kind = status_kind_from_proto(value, "filter.kinds")
        if kind is None:
            raise InvalidArgument(
                [FieldViolation("filter.kinds", "STATUS_KIND_UNSPECIFIED is no kind")]
            )
        kinds.add(kind.value)
    return ViewFilter(
        agent_ids=frozenset(message.agent_ids),
        teams=frozenset(message.teams),
        status_ids=frozenset(message.status_type_ids),
        kinds=frozenset(kinds),
        routable_only=message.routable_only,
        in_activity=message.in_activity if message.HasField("in_activity") else None,
    )


class SubscribeMixin:
    """``SubscribePresence`` of the PresenceService servicer."""

    _streams: Streams | None

    async def SubscribePresence(
        self, request: presence_pb2.SubscribePresenceRequest, context: Any
    ) -> None:
        """Stream presence (see the proto); the subscriber's work is in streaming."""
        streams = self._streams
        if streams is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "streams are off")
            return
        view_filter = filter_from_proto(request.filter)
        from_revision = None
        if request.HasField("from_revision"):
            if request.from_revision < 0:
                raise InvalidArgument(
                    [FieldViolation("from_revision", "must not be negative")]
                )
            from_revision = request.from_revision
        subscription = streams.open(
            view_filter,
            include_snapshot=request.include_snapshot,
            from_revision=from_revision,
        )
        async with subscription:
            async for message in subscription:
                await context.write(message)


class _Recorder:
    """Stands in for a server to capture the generated method handlers."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        self.handlers = dict(handlers)


def register_presence_service(server: Any, servicer: Any) -> None:
    """Add the PresenceService, SubscribePresence sending pre-encoded bytes."""
    recorder = _Recorder()
    presence_pb2_grpc.add_PresenceServiceServicer_to_server(servicer, recorder)
    handlers = recorder.handlers
    if METHOD not in handlers:
        raise RuntimeError("the generated PresenceService has no SubscribePresence")
    handlers[METHOD] = grpc.unary_stream_rpc_method_handler(
        servicer.SubscribePresence,
        request_deserializer=presence_pb2.SubscribePresenceRequest.FromString,
        response_serializer=None,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, handlers),)
    )
    server.add_registered_method_handlers(SERVICE, handlers)
