"""Telephony synchronization: the PBX follows the agent's status, and calls on
the PBX become the agent's activities (SPEC 3.7).

- ``adapter``: the plugin seam (``TelephonyAdapter``, ``InboundSink``,
  ``AdapterPlugin``) and its lifecycle contract;
- ``registry``: finds plugins through the ``presence_server.telephony_adapters``
  entry points;
- ``desired``: what a status means on a PBX, and how to compare;
- ``outbox``: the durable, latest-only desired state per adapter and agent;
- ``worker``: pushes desired states with retries, reconciles, counts drift;
- ``inbound``: PBX calls and phone-side changes into engine commands;
- ``service``: ``TelephonySync``, all of it wired to one engine;
- ``fake``: an in-memory PBX and adapter for tests and demos;
- ``asterisk``: the FreePBX/Asterisk adapter over AMI.
"""

from presence_server.telephony.adapter import (
    ENTRY_POINT_GROUP,
    AdapterError,
    AdapterPlugin,
    AdapterUnavailable,
    InboundSink,
    TelephonyAdapter,
)
from presence_server.telephony.desired import (
    AgentLine,
    DesiredState,
    Observed,
    Seat,
    TelephonyState,
    derive,
    differences,
)
from presence_server.telephony.registry import AdapterRegistry, RegistryError
from presence_server.telephony.service import TelephonySync, health_service_name
from presence_server.telephony.worker import AdapterHealth, SyncOptions, backoff

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterError",
    "AdapterHealth",
    "AdapterPlugin",
    "AdapterRegistry",
    "AdapterUnavailable",
    "AgentLine",
    "DesiredState",
    "InboundSink",
    "Observed",
    "RegistryError",
    "Seat",
    "SyncOptions",
    "TelephonyAdapter",
    "TelephonyState",
    "TelephonySync",
    "backoff",
    "derive",
    "differences",
    "health_service_name",
]
