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

Writing an adapter (``asterisk`` is the worked example):

1. A class satisfying ``TelephonyAdapter``: ``read(line)`` returns an
   ``Observed`` with what the platform reports (None for what it cannot);
   ``write(desired, observed)`` sets absolute values; ``start(sink)``
   connects in the background and calls ``sink.connected()`` after every
   (re)connect, ``sink.disconnected(reason)`` after every loss. Retries,
   ordering, echo suppression and reconciliation are the worker's.
2. Inbound: map platform call events to ``sink.call_started`` /
   ``sink.call_ended`` with one call id per call, and after each reconnect
   send ``sink.calls_snapshot`` (the platform has no replay); report state
   changes seen in events with ``sink.observed``.
3. A settings model (``pydantic_settings.BaseSettings``, secrets as
   ``SecretStr``, ``hide_input_in_errors=True``) and a plugin object with
   ``config_model`` and ``create(name, config, clock)``, declared in
   ``pyproject.toml`` under ``[project.entry-points.
   "presence_server.telephony_adapters"]``.
4. Test it against a fake PBX in ``tests/telephony`` speaking the real wire
   protocol, with ``tests/telephony/conftest.py``'s ``running``.
"""

from presence_server.telephony.adapter import (
    ENTRY_POINT_GROUP,
    AdapterError,
    AdapterPlugin,
    AdapterUnavailable,
    InboundSink,
    PermanentRefusal,
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
    "PermanentRefusal",
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
