"""The sync worker: pushes each agent's latest desired state to one adapter.

One worker per enabled adapter. It keeps, per agent, the latest desired
state and its outbox version, and runs at most one task per agent that
brings the PBX in line:

1. wait until the adapter is connected;
2. read what the PBX holds; when it already matches, nothing is written
   (this is how reconciliation avoids needless writes);
3. write the desired state (absolute values), then read it back: a
   difference left is *drift*, counted and retried;
4. record the synced version in the outbox.

Attempts are retried by ``tenacity`` with exponential backoff and jitter
(capped), each call under a timeout, forever: the PBX must end up in the
desired state. A new desired state wakes a backing-off agent at once, and
an attempt always works on the *latest* desired state: a superseded one is
never sent. Cancellation is never retried, nor is a ``PermanentRefusal``:
that desired state is counted as drift, logged once and left until a newer
one arrives or the agent is verified again. When the adapter (re)connects,
and when it asks for it (Asterisk's ``FullyBooted``), every agent is
verified again ("reconcile").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import (
    AdapterError,
    AdapterUnavailable,
    InboundSink,
    PermanentRefusal,
    TelephonyAdapter,
)
from presence_server.telephony.desired import DesiredState, Observed, differences
from presence_server.telephony.outbox import Entry, Outbox

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


def backoff(initial: float = 1.0, cap: float = 60.0) -> wait_base:
    """Exponential backoff from ``initial`` seconds up to ``cap``, plus jitter
    of up to ``initial`` seconds so that agents do not retry in step."""
    return wait_exponential(multiplier=initial, min=initial, max=cap) + wait_random(
        0, initial
    )


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How a worker retries. ``wait`` is any tenacity wait strategy; its
    waits pass on the worker's clock (tests give ``tenacity.wait_fixed(1)``
    with a ManualClock)."""

    call_timeout: float = 10.0
    wait: wait_base = field(default_factory=backoff)
    # Agents synchronized at the same time (reads and writes in flight).
    concurrency: int = 16
    # How often the outbox is polled for changes committed elsewhere (by
    # another instance); local changes arrive at once.
    poll: timedelta = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    """How one adapter is doing, as shown over gRPC."""

    name: str
    connected: bool
    last_error: str
    last_error_time: datetime | None
    # Agents whose desired state is not yet confirmed on the PBX.
    queue_depth: int
    # Times the PBX was found to differ from the desired state: after our
    # own write (read back), or changed from under us.
    drift_count: int
    writes: int
    honours: frozenset[str]
    last_sync_time: datetime | None


class Superseded(Exception):
    """A newer desired state arrived: this attempt's one must not be sent."""


class Drift(AdapterError):
    """The PBX did not hold the desired state after our write."""


class _Refused(Exception):
    """The PBX refused ``version`` for good (``PermanentRefusal``)."""

    def __init__(self, version: int, message: str) -> None:
        super().__init__(message)
        self.version = version


@dataclass(slots=True)
class _Slot:
    desired: DesiredState
    version: int
    # The last version confirmed on the PBX.
    synced: int
    # Compare with the PBX even when synced (reconcile).
    verify: bool = True
    task: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # The last version the PBX refused for good: not retried.
    refused: int = 0

    @property
    def waiting(self) -> bool:
        """A version is neither confirmed nor refused yet."""
        return self.version > max(self.synced, self.refused)

    @property
    def busy(self) -> bool:
        return self.task is not None or self.verify or self.waiting


class SyncWorker:
    """Keeps one adapter's PBX in line with the outbox.

    Args:
        adapter: the adapter, created but not started.
        outbox: where desired states are stored.
        clock: waits (backoff, polling) go through it.
        options: retry and timing settings.
        inbound: receives what the adapter reports about calls and phone-side
            changes (see ``inbound.Inbound``); None drops it.
        on_connection: awaited with (adapter name, connected) on each change.
    """

    def __init__(
        self,
        adapter: TelephonyAdapter,
        outbox: Outbox,
        clock: Clock,
        options: SyncOptions | None = None,
        *,
        inbound: InboundHandler | None = None,
        on_connection: Callable[[str, bool], Awaitable[None]] | None = None,
    ) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self.outbox = outbox
        self.clock = clock
        self.options = options or SyncOptions()
        self.inbound = inbound
        self._on_connection = on_connection
        self._slots: dict[str, _Slot] = {}
        self._by_extension: dict[str, str] = {}
        self._limit = asyncio.Semaphore(self.options.concurrency)
        self._connected = asyncio.Event()
        self._changed: set[str] = set()
        self._loading: set[str] = set()
        self._load_done = asyncio.Condition()
        self._poll_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._connection_changes: asyncio.Queue[bool] = asyncio.Queue()
        self._reported = False
        self._stopping = False
        self.writes = 0
        self.drift_count = 0
        self.last_error = ""
        self.last_error_time: datetime | None = None
        self.last_sync_time: datetime | None = None
        self.sink: InboundSink = _Sink(self)

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Load the outbox, start the adapter; every agent gets verified."""
        # Known limitation: with several server instances on one database,
        # each runs its own workers and the PBX gets each write once per
        # instance. Writes are absolute, so the result is right, only repeated.
        for entry in await self.outbox.load(self.name):
            self._offer(entry, verify=True)
        self._tasks = [
            asyncio.create_task(self._load_loop(), name=f"telephony-{self.name}-load"),
            asyncio.create_task(
                self._report_connection(), name=f"telephony-{self.name}-health"
            ),
        ]
        await self.adapter.start(self.sink)
        logger.info(
            "telephony sync for %s started with %d agents", self.name, len(self._slots)
        )

    async def stop(self) -> None:
        """Cancel what is in flight and stop the adapter. Prompt by design:
        whatever was not confirmed is still in the outbox for next time."""
        self._stopping = True
        tasks = [s.task for s in self._slots.values() if s.task is not None]
        tasks += self._tasks
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.adapter.stop()
        logger.info("telephony sync for %s stopped", self.name)

    # --- what changes the work ------------------------------------------------

    def notify(self, agent_ids: Iterable[str]) -> None:
        """The desired state of these agents may have changed in the outbox."""
        if self._stopping:
            return
        self._changed.update(agent_ids)
        self._poll_now.set()

    def forget(self, agent_ids: Iterable[str]) -> None:
        """These agents are no longer synchronized."""
        for agent_id in agent_ids:
            slot = self._slots.pop(agent_id, None)
            if slot is None:
                continue
            if slot.task is not None:
                slot.task.cancel()
            self._by_extension.pop(slot.desired.line.extension, None)

    def reconcile(self) -> None:
        """Verify every agent against the PBX again."""
        if self._stopping:
            return
        for agent_id, slot in self._slots.items():
            slot.verify = True
            self._kick(agent_id, slot)

    def verify(self, agent_id: str) -> None:
        """Verify one agent against the PBX again (and fix it)."""
        slot = self._slots.get(agent_id)
        if slot is not None and not self._stopping:
            slot.verify = True
            self._kick(agent_id, slot)

    def _offer(self, entry: Entry, *, verify: bool = False) -> None:
        slot = self._slots.get(entry.agent_id)
        if slot is None:
            slot = _Slot(entry.desired, entry.version, entry.synced_version, verify)
            self._slots[entry.agent_id] = slot
            news = True
        else:
            news = entry.version > slot.version or (verify and not slot.verify)
            if entry.version > slot.version:
                old = slot.desired.line.extension
                if self._by_extension.get(old) == entry.agent_id:
                    del self._by_extension[old]
                slot.desired, slot.version = entry.desired, entry.version
            slot.synced = max(slot.synced, entry.synced_version)
            slot.verify = slot.verify or verify
        self._by_extension[entry.desired.line.extension] = entry.agent_id
        # Only news wakes a backing-off agent: a poll seeing the same
        # pending row again must not cut its backoff short.
        if news and slot.busy:
            self._kick(entry.agent_id, slot)

    def _kick(self, agent_id: str, slot: _Slot) -> None:
        slot.wake.set()
        if slot.task is None and not self._stopping:
            slot.task = asyncio.create_task(
                self._drive(agent_id, slot), name=f"telephony-{self.name}-{agent_id}"
            )

    async def _load_loop(self) -> None:
        # Local changes are loaded as soon as they are notified; changes
        # committed by other instances on the next poll.
        while True:
            woke = await _wait_for(self._poll_now, self.clock, self.options.poll)
            self._poll_now.clear()
            changed, self._changed = self._changed, set()
            self._loading = changed
            try:
                if woke and changed:
                    entries = await self.outbox.load(self.name, changed)
                else:
                    entries = await self.outbox.pending(self.name)
            except Exception:
                logger.exception("reading the telephony outbox failed; retrying")
                self._changed |= changed
                continue
            finally:
                self._loading = set()
                async with self._load_done:
                    self._load_done.notify_all()
            for entry in entries:
                self._offer(entry)

    # --- connection -----------------------------------------------------------

    def _connection(self, connected: bool, error: str = "") -> None:
        if error:
            self._record_error(error)
        if connected != self._connected.is_set() or not self._reported:
            self._reported = True
            self._connection_changes.put_nowait(connected)
        if connected:
            self._connected.set()
            self.reconcile()
        else:
            self._connected.clear()

    async def _report_connection(self) -> None:
        while True:
            connected = await self._connection_changes.get()
            if self._on_connection is None:
                continue
            try:
                await self._on_connection(self.name, connected)
            except Exception:
                logger.exception("reporting the connection of %s failed", self.name)

    def _record_error(self, error: str) -> None:
        self.last_error = error
        self.last_error_time = self.clock.now()

    # --- one agent --------------------------------------------------------------

    async def _drive(self, agent_id: str, slot: _Slot) -> None:
        try:
            while slot.verify or slot.waiting:
                slot.wake.clear()
                await self._until_connected()
                slot.verify = False
                try:
                    version: int = await self._retrying(agent_id, slot)(
                        self._sync, agent_id, slot
                    )
                except Superseded:
                    continue
                except _Refused as refusal:
                    self._refused(agent_id, slot, refusal)
                    continue
                except AdapterUnavailable:
                    # Wait for the reconnect instead of spinning on backoff;
                    # the reconnect verifies every agent anyway.
                    slot.verify = True
                    continue
                slot.synced = max(slot.synced, version)
                self.last_sync_time = self.clock.now()
                try:
                    await self.outbox.mark_synced(
                        self.name, agent_id, version, self.clock.now()
                    )
                except Exception:
                    # Harmless: the next start verifies the agent again.
                    logger.warning(
                        "could not record the telephony sync of agent %s on %s",
                        agent_id,
                        self.name,
                        exc_info=True,
                    )
        finally:
            if self._slots.get(agent_id) is slot:
                slot.task = None

    def _refused(self, agent_id: str, slot: _Slot, refusal: _Refused) -> None:
        # Logged once per desired state: a reconcile that meets the same
        # refusal again says so at DEBUG only.
        self.drift_count += 1
        again = slot.refused == refusal.version
        slot.refused = max(slot.refused, refusal.version)
        logger.log(
            logging.DEBUG if again else logging.WARNING,
            "telephony sync of agent %s on %s refused by the PBX: %s; "
            "not retried until the agent's desired state changes",
            agent_id,
            self.name,
            refusal,
        )

    async def _until_connected(self) -> None:
        while not (self._connected.is_set() and self.adapter.is_connected):
            if not self._connected.is_set():
                await self._connected.wait()
            else:
                # Said connected, yet not (a race with a new loss): look again.
                await self.clock.sleep_until(self.clock.now() + self.options.poll)

    def _retrying(self, agent_id: str, slot: _Slot) -> AsyncRetrying:
        async def nap(seconds: float) -> None:
            # Back off, but wake at once for a newer desired state or a
            # reconnect: the next attempt then carries the latest one.
            await asyncio.sleep(0)
            if slot.wake.is_set():
                slot.wake.clear()
                return
            await _wait_for(slot.wake, self.clock, timedelta(seconds=seconds))
            slot.wake.clear()

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            wait = state.upcoming_sleep
            logger.warning(
                "telephony sync of agent %s on %s failed (attempt %d): %s; "
                "retrying in %.1f s",
                agent_id,
                self.name,
                state.attempt_number,
                _describe(error),
                wait,
            )

        return AsyncRetrying(
            wait=self.options.wait,
            retry=retry_if_exception(_retryable),
            sleep=nap,
            before_sleep=before_sleep,
            reraise=True,
        )

    async def _sync(self, agent_id: str, slot: _Slot) -> int:
        """One attempt: read, write when different, read back; the version
        now on the PBX."""
        # A change notified but not yet read from the outbox would make this
        # attempt send an outdated state: wait for it.
        await self._loaded(agent_id)
        version = slot.version
        if not self.adapter.is_connected:
            raise AdapterUnavailable(f"{self.name} is not connected")
        async with self._limit:
            desired = slot.desired
            try:
                observed = await self._call(self.adapter.read(desired.line))
                await self._loaded(agent_id)
                if slot.version != version:
                    raise Superseded()
                if observed.known and not differences(desired, observed):
                    logger.debug("agent %s on %s is in sync", agent_id, self.name)
                    return version
                await self._call(
                    self.adapter.write(desired, observed if observed.known else None)
                )
                self.writes += 1
                logger.debug(
                    "agent %s on %s set to %s (version %d)",
                    agent_id,
                    self.name,
                    desired.status_id or "?",
                    version,
                )
                after = await self._call(self.adapter.read(desired.line))
            except Superseded:
                raise
            except PermanentRefusal as error:
                self._record_error(_describe(error))
                raise _Refused(version, _describe(error)) from error
            except Exception as error:
                self._record_error(_describe(error))
                raise
            drift = differences(desired, after) if after.known else ()
            if drift:
                self.drift_count += 1
                message = f"agent {agent_id}: PBX differs after write in {drift}"
                self._record_error(message)
                raise Drift(message)
            return version

    async def _loaded(self, agent_id: str) -> None:
        async with self._load_done:
            await self._load_done.wait_for(
                lambda: agent_id not in self._changed and agent_id not in self._loading
            )

    async def _call(self, work: Awaitable[_T]) -> _T:
        async with asyncio.timeout(self.options.call_timeout):
            return await work

    # --- inbound helpers ----------------------------------------------------------

    def agent_for_extension(self, extension: str) -> str | None:
        return self._by_extension.get(extension)

    def desired(self, agent_id: str) -> DesiredState | None:
        slot = self._slots.get(agent_id)
        return slot.desired if slot else None

    def is_busy(self, agent_id: str) -> bool:
        """Whether a write for the agent is pending or in flight."""
        slot = self._slots.get(agent_id)
        return slot is not None and slot.busy

    def observed(self, agent_id: str, observed: Observed) -> None:
        slot = self._slots.get(agent_id)
        if slot is None:
            return
        if slot.busy:
            logger.debug(
                "agent %s on %s: event ignored while syncing", agent_id, self.name
            )
            return
        drift = differences(slot.desired, observed)
        if not drift:
            logger.debug("agent %s on %s: echo of our own write", agent_id, self.name)
            return
        self.drift_count += 1
        logger.info(
            "agent %s changed on %s outside the server (%s)",
            agent_id,
            self.name,
            ", ".join(drift),
        )
        if self.inbound is not None and self.inbound.phone_change(
            agent_id, slot.desired, observed
        ):
            return
        self.verify(agent_id)

    # --- health -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Connected, as the adapter said (``sink.connected()``) and still is."""
        return self._connected.is_set() and self.adapter.is_connected

    def queue_depth(self) -> int:
        """Agents whose latest desired state is not yet confirmed on the PBX
        (counting changes notified but not yet read from the outbox)."""
        busy = {agent_id for agent_id, s in self._slots.items() if s.busy}
        return len(busy | self._changed | self._loading)

    def health(self) -> AdapterHealth:
        return AdapterHealth(
            name=self.name,
            connected=self.connected,
            last_error=self.last_error,
            last_error_time=self.last_error_time,
            queue_depth=self.queue_depth(),
            drift_count=self.drift_count,
            writes=self.writes,
            honours=self.adapter.honours,
            last_sync_time=self.last_sync_time,
        )


class InboundHandler(Protocol):
    """Where a worker hands inbound reports (``inbound.Inbound``). Each
    method returns at once; the work is queued."""

    def call_started(self, agent_id: str, call_id: str) -> None: ...

    def call_ended(self, agent_id: str, call_id: str) -> None: ...

    def calls_snapshot(self, live: Mapping[str, Collection[str]]) -> None: ...

    def phone_change(
        self, agent_id: str, desired: DesiredState, observed: Observed
    ) -> bool:
        """Start turning a phone-side change into a status change; False when
        it will not (the worker then restores the desired state at once)."""
        ...


class _Sink:
    """The ``InboundSink`` a worker gives its adapter."""

    def __init__(self, worker: SyncWorker) -> None:
        self._worker = worker

    def connected(self) -> None:
        self._worker._connection(True)

    def disconnected(self, error: str) -> None:
        self._worker._connection(False, error)

    def reconcile(self) -> None:
        self._worker.reconcile()

    def agent_for_extension(self, extension: str) -> str | None:
        return self._worker.agent_for_extension(extension)

    def desired(self, agent_id: str) -> DesiredState | None:
        return self._worker.desired(agent_id)

    def call_started(self, agent_id: str, call_id: str) -> None:
        if self._worker.inbound is not None:
            self._worker.inbound.call_started(agent_id, call_id)

    def call_ended(self, agent_id: str, call_id: str) -> None:
        if self._worker.inbound is not None:
            self._worker.inbound.call_ended(agent_id, call_id)

    def calls_snapshot(self, live: Mapping[str, Collection[str]]) -> None:
        if self._worker.inbound is not None:
            self._worker.inbound.calls_snapshot(live)

    def observed(self, agent_id: str, observed: Observed) -> None:
        self._worker.observed(agent_id, observed)


def _retryable(error: BaseException) -> bool:
    # CancelledError is a BaseException: never retried, so stopping is prompt.
    # A superseded attempt restarts with the latest state; an unavailable
    # PBX is waited for (``_drive``), not polled.
    return isinstance(error, Exception) and not isinstance(
        error, Superseded | AdapterUnavailable | _Refused
    )


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, TimeoutError) and not str(error):
        return "timed out"
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]


async def _wait_for(event: asyncio.Event, clock: Clock, delay: timedelta) -> bool:
    """Wait until ``event`` is set (True) or ``delay`` passed on ``clock``."""
    if event.is_set():
        return True
    sleeper = asyncio.ensure_future(clock.sleep_until(clock.now() + delay))
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waiter.cancel()
        for task in (sleeper, waiter):
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return event.is_set()


__all__ = [
    "AdapterHealth",
    "Drift",
    "InboundHandler",
    "Superseded",
    "SyncOptions",
    "SyncWorker",
    "backoff",
]
