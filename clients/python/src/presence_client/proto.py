"""The generated protobuf modules, for messages the wrapper does not re-export.

Import them from here rather than from ``presence_client._proto``::

    from presence_client.proto import reports_pb2
"""

from __future__ import annotations

from ._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    common_pb2,
    presence_pb2,
    presence_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
    simulation_pb2,
    simulation_pb2_grpc,
    status_types_pb2,
    status_types_pb2_grpc,
    telephony_pb2,
    telephony_pb2_grpc,
)

__all__ = [
    "agents_pb2",
    "agents_pb2_grpc",
    "common_pb2",
    "presence_pb2",
    "presence_pb2_grpc",
    "reports_pb2",
    "reports_pb2_grpc",
    "simulation_pb2",
    "simulation_pb2_grpc",
    "status_types_pb2",
    "status_types_pb2_grpc",
    "telephony_pb2",
    "telephony_pb2_grpc",
]
