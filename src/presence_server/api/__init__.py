"""The gRPC boundary: servicers, proto <-> domain conversion, error translation.

Only this package (and the generated ``_proto``) imports protobuf code; the
domain, engine, catalog and storage work on plain Python types.
"""

from __future__ import annotations

import asyncio
from typing import Any

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    presence_pb2,
    reports_pb2,
    reports_pb2_grpc,
    simulation_pb2,
    simulation_pb2_grpc,
    status_types_pb2,
    status_types_pb2_grpc,
    telephony_pb2,
    telephony_pb2_grpc,
)
from presence_server.catalog import Catalog
from presence_server.engine.clock import ManualClock
from presence_server.engine.service import PresenceEngine
from presence_server.observability.metrics import Metrics
from presence_server.reports.service import Reports
from presence_server.streaming import Streams
from presence_server.telephony import TelephonySync

from .agents import AgentServicer
from .auth import AuthInterceptor, CatalogTeams
from .errors import ErrorInterceptor
from .presence import PresenceServicer
from .reports import ReportServicer
from .simulation import Advance, SimulatedClockServicer
from .status_types import StatusTypeServicer
from .subscribe import ProtoEncoder, register_presence_service
from .telemetry import TelemetryInterceptor
from .telephony import TelephonyServicer

# Full names of the services this server implements, as in the proto.
SERVICE_NAMES: tuple[str, ...] = (
    status_types_pb2.DESCRIPTOR.services_by_name["StatusTypeService"].full_name,
    agents_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name,
    presence_pb2.DESCRIPTOR.services_by_name["PresenceService"].full_name,
    reports_pb2.DESCRIPTOR.services_by_name["ReportService"].full_name,
    telephony_pb2.DESCRIPTOR.services_by_name["TelephonyService"].full_name,
)

# Services only a server on a simulated clock offers (PRESENCE_CLOCK=simulated).
SIMULATION_SERVICE_NAMES: tuple[str, ...] = (
    simulation_pb2.DESCRIPTOR.services_by_name["SimulatedClockService"].full_name,
)


def interceptors(metrics: Metrics, auth: AuthInterceptor | None = None) -> list[Any]:
    """The server interceptors, outermost first.

    Telemetry is outside error translation so that it records the status
    code the client finally gets; authentication is inside it, so that its
    refusals are translated like any other error.
    """
    chain: list[Any] = [TelemetryInterceptor(metrics), ErrorInterceptor()]
    if auth is not None:
        chain.append(auth)
    return chain


def add_services(server: Any, catalog: Catalog) -> tuple[str, ...]:
    """Register every presence service on ``server``; return their names."""
    status_types_pb2_grpc.add_StatusTypeServiceServicer_to_server(
        StatusTypeServicer(catalog), server
    )
    agents_pb2_grpc.add_AgentServiceServicer_to_server(AgentServicer(catalog), server)
    return SERVICE_NAMES


def add_presence_service(
    server: Any,
    engine: PresenceEngine,
    stopping: asyncio.Event,
    streams: Streams | None = None,
) -> None:
    """Register the PresenceService (one of ``SERVICE_NAMES``)."""
    register_presence_service(
        server, PresenceServicer(engine, stopping=stopping, streams=streams)
    )


def add_report_service(server: Any, reports: Reports) -> None:
    """Register the ReportService (one of ``SERVICE_NAMES``)."""
    reports_pb2_grpc.add_ReportServiceServicer_to_server(
        ReportServicer(reports), server
    )


def add_telephony_service(server: Any, telephony: TelephonySync | None) -> None:
    """Register the TelephonyService (one of ``SERVICE_NAMES``)."""
    telephony_pb2_grpc.add_TelephonyServiceServicer_to_server(
        TelephonyServicer(telephony), server
    )


def add_simulation_services(
    server: Any, clock: ManualClock, advance: Advance | None = None
) -> tuple[str, ...]:
    """Register the simulated clock's service; never on a production server."""
    simulation_pb2_grpc.add_SimulatedClockServiceServicer_to_server(
        SimulatedClockServicer(clock, advance), server
    )
    return SIMULATION_SERVICE_NAMES


__all__ = [
    "SERVICE_NAMES",
    "SIMULATION_SERVICE_NAMES",
    "AgentServicer",
    "AuthInterceptor",
    "CatalogTeams",
    "ErrorInterceptor",
    "PresenceServicer",
    "ProtoEncoder",
    "ReportServicer",
    "SimulatedClockServicer",
    "StatusTypeServicer",
    "TelemetryInterceptor",
    "TelephonyServicer",
    "add_presence_service",
    "add_report_service",
    "add_services",
    "add_simulation_services",
    "add_telephony_service",
    "interceptors",
]
