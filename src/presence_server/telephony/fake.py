"""A fake PBX and its adapter, for tests and demos. Never for production.

``FakePbx`` holds what a real PBX would: per extension, queue seats (with
pauses), DND, presence, follow-me and the external-calls flag. A test (or a
demo) can take it down and up, make it forget pauses as a restart would,
press DND on a phone, and start or end calls. ``FakeAdapter`` speaks to it
through the same seam as the real adapters, reports echo events for its own
writes (as a real PBX does) and records every write.

Enable it like any adapter: ``PRESENCE_TELEPHONY_ADAPTERS=fake``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import (
    AdapterError,
    AdapterPlugin,
    AdapterUnavailable,
    InboundSink,
)
from presence_server.telephony.desired import (
    STATE_FIELDS,
    AgentLine,
    DesiredState,
    Observed,
    Seat,
)

logger = logging.getLogger(__name__)


@dataclass
class FakeLine:
    """What the fake PBX holds for one extension."""

    queues: dict[str, Seat] = field(default_factory=dict)
    do_not_disturb: bool = False
    presence: str = ""
    presence_message: str = ""
    ring_mobile: bool = False
    external_calls: bool = False


class FakePbx:
    """An in-memory PBX shared by a test and a ``FakeAdapter``."""

    def __init__(self) -> None:
        self.lines: dict[str, FakeLine] = {}
        self.up = True
        # (extension, desired state) of every write applied, and of every
        # write received (refused ones too).
        self.writes: list[tuple[str, DesiredState]] = []
        self.attempts: list[tuple[str, DesiredState]] = []
        self.reads = 0
        # A slow PBX: while not None, writes wait until this event is set.
        self.hold: asyncio.Event | None = None
        # This many next writes are refused (a PBX error), or accepted and
        # then not applied (drift, found by the read-back).
        self.refuse_writes = 0
        self.lose_writes = 0
        self._sinks: list[InboundSink] = []
        self._calls: dict[str, str] = {}
        self._ids = itertools.count(1)

    def line(self, extension: str) -> FakeLine:
        return self.lines.setdefault(extension, FakeLine())

    def writes_for(self, extension: str) -> list[DesiredState]:
        return [d for ext, d in self.writes if ext == extension]

    # --- what a test makes happen ---------------------------------------------

    def go_down(self) -> None:
        self.up = False
        for sink in self._sinks:
            sink.disconnected("the fake PBX is down")

    def come_up(self) -> None:
        self.up = True
        for sink in self._sinks:
            sink.connected()

    def restart(self, *, forget_pauses: bool = True) -> None:
        """Down and up again, forgetting queue pauses as a restart may."""
        self.go_down()
        if forget_pauses:
            for line in self.lines.values():
                for queue in line.queues:
                    line.queues[queue] = Seat(paused=False)
        self.come_up()

    def press_dnd(self, extension: str, on: bool) -> None:
        """The agent presses the DND key on the phone."""
        self.line(extension).do_not_disturb = on
        self._report(extension, Observed(do_not_disturb=on))

    def start_call(self, extension: str) -> str:
        """A call is answered on the extension; returns its call id."""
        call_id = f"fake-{next(self._ids)}"
        self._calls[call_id] = extension
        for sink in self._sinks:
            agent = sink.agent_for_extension(extension)
            if agent is not None:
                sink.call_started(agent, call_id)
        return call_id

    def end_call(self, call_id: str) -> None:
        extension = self._calls.pop(call_id)
        for sink in self._sinks:
            agent = sink.agent_for_extension(extension)
            if agent is not None:
                sink.call_ended(agent, call_id)

    def _report(self, extension: str, observed: Observed) -> None:
        for sink in self._sinks:
            agent = sink.agent_for_extension(extension)
            if agent is not None:
                sink.observed(agent, observed)

    def _live_calls(self, sink: InboundSink) -> dict[str, set[str]]:
        live: dict[str, set[str]] = {}
        for call_id, extension in self._calls.items():
            agent = sink.agent_for_extension(extension)
            if agent is not None:
                live.setdefault(agent, set()).add(call_id)
        return live


class FakeConfig(BaseSettings):
    """Settings of the fake adapter (``PRESENCE_TELEPHONY_FAKE_*``)."""

    model_config = SettingsConfigDict(
        env_prefix="PRESENCE_TELEPHONY_FAKE_", extra="forbid"
    )

    # Write and read latency, to watch a demo in slow motion.
    latency_seconds: float = 0.0


class FakeAdapter:
    """The ``TelephonyAdapter`` of a ``FakePbx``."""

    def __init__(
        self, name: str = "fake", pbx: FakePbx | None = None, latency: float = 0.0
    ) -> None:
        self._name = name
        self.pbx = pbx or FakePbx()
        self._latency = latency
        self._sink: InboundSink | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def honours(self) -> frozenset[str]:
        return frozenset(STATE_FIELDS)

    @property
    def is_connected(self) -> bool:
        return self._sink is not None and self.pbx.up

    async def start(self, sink: InboundSink) -> None:
        self._sink = sink
        self.pbx._sinks.append(sink)
        if self.pbx.up:
            sink.connected()
            sink.calls_snapshot(self.pbx._live_calls(sink))

    async def stop(self) -> None:
        if self._sink is not None:
            self.pbx._sinks.remove(self._sink)
            self._sink = None

    async def read(self, line: AgentLine) -> Observed:
        await self._wait()
        self.pbx.reads += 1
        held = self.pbx.line(line.extension)
        return Observed(
            queues=dict(held.queues),
            queues_complete=True,
            do_not_disturb=held.do_not_disturb,
            presence=held.presence,
            presence_message=held.presence_message,
            ring_mobile=held.ring_mobile,
            external_calls=held.external_calls,
        )

    async def write(self, desired: DesiredState, observed: Observed | None) -> None:
        await self._wait()
        self.pbx.attempts.append((desired.line.extension, desired))
        if self.pbx.hold is not None:
            await self.pbx.hold.wait()
            await self._wait()
        if self.pbx.refuse_writes > 0:
            self.pbx.refuse_writes -= 1
            raise AdapterError("the fake PBX refused the write")
        if self.pbx.lose_writes > 0:
            self.pbx.lose_writes -= 1
            return
        extension = desired.line.extension
        want = desired.state
        held = self.pbx.line(extension)
        seat = Seat(want.paused, want.pause_reason)
        held.queues = {q: seat for q in sorted(desired.queues)}
        held.do_not_disturb = want.do_not_disturb
        held.presence = want.presence
        held.presence_message = want.presence_message
        held.ring_mobile = want.ring_mobile
        held.external_calls = want.external_calls
        self.pbx.writes.append((extension, desired))
        # A real PBX echoes what it was told; the worker must ignore it.
        self.pbx._report(
            extension,
            Observed(
                queues=dict(held.queues),
                queues_complete=True,
                do_not_disturb=held.do_not_disturb,
            ),
        )

    async def _wait(self) -> None:
        if not self.pbx.up:
            raise AdapterUnavailable("the fake PBX is down")
        if self._latency:
            await asyncio.sleep(self._latency)


class FakePlugin:
    """The entry point of the fake adapter."""

    config_model = FakeConfig

    def create(self, name: str, config: Any, clock: Clock) -> FakeAdapter:
        logger.warning(
            "telephony adapter %s is the FAKE PBX: for tests and demos", name
        )
        return FakeAdapter(name, latency=config.latency_seconds)


PLUGIN: AdapterPlugin = FakePlugin()
