"""The messages and enums of the API, under their proto names.

These are the generated protobuf classes themselves (typed by their
``.pyi`` stubs); the client returns them as they come off the wire. Enum
values are reached through their type: ``StatusKind.STATUS_KIND_AVAILABLE``.
"""

from __future__ import annotations

from ._proto.presence.v1.agents_pb2 import Agent
from ._proto.presence.v1.common_pb2 import ActivityKind, Role, StatusKind, StatusRef
from ._proto.presence.v1.presence_pb2 import (
    Activity,
    AgentStatus,
    ClientKind,
    ConnectionState,
    ConnectUpdate,
    EventType,
    Outcome,
    PresenceChange,
    PresenceEvent,
    PresenceFilter,
    Session,
    Source,
)
from ._proto.presence.v1.reports_pb2 import (
    AgentReport,
    AgentTimeline,
    ReportGrouping,
    ReportRow,
    TeamReport,
    TimelinePeriod,
)
from ._proto.presence.v1.status_types_pb2 import StatusType, TelephonyMapping

__all__ = [
    "Activity",
    "ActivityKind",
    "Agent",
    "AgentReport",
    "AgentStatus",
    "AgentTimeline",
    "ClientKind",
    "ConnectUpdate",
    "ConnectionState",
    "EventType",
    "Outcome",
    "PresenceChange",
    "PresenceEvent",
    "PresenceFilter",
    "ReportGrouping",
    "ReportRow",
    "Role",
    "Session",
    "Source",
    "StatusKind",
    "StatusRef",
    "StatusType",
    "TeamReport",
    "TelephonyMapping",
    "TimelinePeriod",
]
