"""The plugin seam: what a telephony adapter is and what it may call back.

An adapter connects one PBX to the server. The server owns the *desired*
state of every agent; the adapter only knows how to read and write it on its
platform, and how to turn the platform's events into calls on the
``InboundSink`` the server hands it. Everything else (retries, backoff,
ordering, the durable outbox, reconciliation, echo suppression, health) is
the sync worker's job, the same for every adapter.

Plugins are found through the entry-point group ``ENTRY_POINT_GROUP``: each
entry point names an ``AdapterPlugin`` (its name is the adapter's name, the
key of a status type's ``telephony`` mapping, and the ``PRESENCE_TELEPHONY_
<NAME>_`` prefix of its settings). See ``registry``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, runtime_checkable

from pydantic_settings import BaseSettings

from presence_server.engine.clock import Clock
from presence_server.telephony.desired import AgentLine, DesiredState, Observed

ENTRY_POINT_GROUP = "presence_server.telephony_adapters"


class AdapterError(Exception):
    """A read or write failed; the worker retries it with backoff."""


class PermanentRefusal(AdapterError):
    """The PBX refused the write for good: retrying the same desired state
    would be refused again (an Asterisk static queue member cannot be
    removed by AMI). The worker records it, logs it once and stops retrying
    until the desired state changes or the agent is reconciled."""


class AdapterUnavailable(AdapterError):
    """The adapter is not connected to its PBX right now.

    Raise it at once instead of waiting for a connection: the worker backs
    off, and every agent is reconciled when ``InboundSink.connected`` says
    the PBX is back.
    """


class InboundSink(Protocol):
    """What an adapter reports to the server. Given to ``start``.

    Every method returns at once (it never waits on the database or the
    engine): work is queued and applied in order, so an adapter may call
    them straight from its event loop. Calls are idempotent.
    """

    def connected(self) -> None:
        """The PBX is reachable (again): every agent will be reconciled."""

    def disconnected(self, error: str) -> None:
        """The connection is lost, or an attempt to connect failed; ``error``
        says why (no secrets in it). Repeating it is harmless."""

    def reconcile(self) -> None:
        """Compare every agent with the PBX again (e.g. the PBX rebooted)."""

    def agent_for_extension(self, extension: str) -> str | None:
        """The agent synchronized on ``extension``, if any."""

    def desired(self, agent_id: str) -> DesiredState | None:
        """The latest desired state of the agent on this adapter."""

    def call_started(self, agent_id: str, call_id: str) -> None:
        """A call is connected on the agent's extension (a system activity).

        ``call_id`` must be the same for every event of one call (Asterisk
        ``Linkedid``, 3CX ``callid``): starting a call twice is harmless.
        """

    def call_ended(self, agent_id: str, call_id: str) -> None:
        """The call ended. Ending an unknown or ended call is harmless."""

    def calls_snapshot(self, live: Mapping[str, Collection[str]]) -> None:
        """After a (re)connect: the calls in progress, by agent id.

        Calls of this adapter that the server holds open but that are not
        listed are ended; listed calls it does not know are started. Agents
        missing from ``live`` have no call on this PBX.
        """

    def observed(self, agent_id: str, observed: Observed) -> None:
        """The PBX reports a change of the agent's state (an event).

        The echo of the server's own writes (the observed fields equal the
        desired state) is ignored, as is anything seen while a write for the
        agent is pending or in flight. Anything else is a change made on the
        phone: it becomes a status change when a status type's mapping for
        this adapter has the option ``from_phone`` and matches what was
        observed; otherwise the desired state is written back.
        """


@runtime_checkable
class TelephonyAdapter(Protocol):
    """One connection to one PBX.

    Lifecycle:

    - *created* by its plugin's ``create`` with its validated settings; it
      does no I/O yet.
    - ``start(sink)`` begins connecting in the background and returns at
      once, also when the PBX is down: an adapter keeps reconnecting on its
      own, with backoff, until ``stop``. Each time it is connected (first
      time and every reconnect) it calls ``sink.connected()``; each loss
      ``sink.disconnected(error)``.
    - ``read`` and ``write`` are called by the sync worker only, at most one
      at a time per agent (different agents concurrently), each under a
      timeout (the worker cancels a call that takes too long, so they must
      be cancellation-safe).
    - ``stop()`` closes the connection; it must return promptly (within a
      second or two) even while a call is in flight. The adapter is not
      started again.

    Failures: ``read`` and ``write`` raise ``AdapterUnavailable`` when not
    connected and ``AdapterError`` (or any ``Exception``, or a timeout) when
    the platform refused or the call failed; the worker retries with
    exponential backoff and jitter, always with the *latest* desired state,
    so a retry never sends an outdated one. ``PermanentRefusal`` is not
    retried: the adapter should apply every other field first and raise it
    at the end of ``write``. Cancellation is never retried.
    Nothing an adapter raises stops the server.

    Secrets: an adapter must never log, raise or report a credential.
    """

    @property
    def name(self) -> str:
        """The adapter's name: its entry point and its mapping key."""
        ...

    @property
    def honours(self) -> frozenset[str]:
        """The ``TelephonyState`` fields this adapter applies (for health)."""
        ...

    @property
    def is_connected(self) -> bool:
        """Whether the PBX is reachable now."""
        ...

    async def start(self, sink: InboundSink) -> None:
        """Begin connecting in the background; return at once."""
        ...

    async def stop(self) -> None:
        """Disconnect and release everything; promptly."""
        ...

    async def read(self, line: AgentLine) -> Observed:
        """What the platform holds for the agent now.

        Fields the platform cannot report stay None. Retried by the worker.
        """
        ...

    async def write(self, desired: DesiredState, observed: Observed | None) -> None:
        """Make the platform hold ``desired``, with absolute values.

        ``observed`` is a ``read`` made just before (None when the worker
        has none): an adapter may skip fields that already match, but must
        set each field it touches to its value ("paused=true"), never
        toggle it. Writing the same desired state twice must be harmless.
        Retried by the worker, with the then latest desired state.
        """
        ...


@runtime_checkable
class AdapterPlugin(Protocol):
    """What an entry point of ``ENTRY_POINT_GROUP`` refers to."""

    @property
    def config_model(self) -> type[BaseSettings]:
        """Settings of the adapter, read from ``PRESENCE_TELEPHONY_<NAME>_*``
        variables. Secrets must be ``SecretStr`` fields."""
        ...

    def create(self, name: str, config: Any, clock: Clock) -> TelephonyAdapter:
        """A new, not yet started adapter named ``name``."""
        ...
