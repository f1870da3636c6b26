"""``presence.v1.TelephonyService``: the health of the telephony adapters."""

from __future__ import annotations

from typing import Any

from presence_server._proto.presence.v1 import telephony_pb2, telephony_pb2_grpc
from presence_server.telephony import AdapterHealth, TelephonySync, health_service_name

from .convert import timestamp_to_proto


def adapter_to_proto(health: AdapterHealth) -> telephony_pb2.TelephonyAdapterStatus:
    message = telephony_pb2.TelephonyAdapterStatus(
        name=health.name,
        connected=health.connected,
        last_error=health.last_error,
        queue_depth=health.queue_depth,
        drift_count=health.drift_count,
        writes=health.writes,
        honoured_fields=sorted(health.honours),
        health_service=health_service_name(health.name),
    )
    if health.last_error_time is not None:
        message.last_error_time.CopyFrom(timestamp_to_proto(health.last_error_time))
    if health.last_sync_time is not None:
        message.last_sync_time.CopyFrom(timestamp_to_proto(health.last_sync_time))
    return message


class TelephonyServicer(telephony_pb2_grpc.TelephonyServiceServicer):
    """Lists the adapters this server runs (none when telephony is off)."""

    def __init__(self, telephony: TelephonySync | None) -> None:
        self._telephony = telephony

    async def ListAdapters(
        self, request: telephony_pb2.ListTelephonyAdaptersRequest, context: Any
    ) -> telephony_pb2.ListTelephonyAdaptersResponse:
        found = self._telephony.health() if self._telephony is not None else []
        return telephony_pb2.ListTelephonyAdaptersResponse(
            adapters=[adapter_to_proto(h) for h in found]
        )
