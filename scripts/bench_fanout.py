"""The ``fan-out`` benchmark of ``scripts/bench.py``: presence streams under load.

    python scripts/bench.py fan-out [--duration 30] [--subscribers 1,100,1000]

For each subscriber count it starts a real ``presence-server`` (SQLite),
opens that many ``SubscribePresence`` streams from a separate client process
(100 streams per connection), and drives ``SetStatus`` changes at a fixed
rate from this process, each a real change. It prints changes per second,
stream messages and events delivered per second, p50/p99 delivery latency
(from the event's commit time to its arrival at the client), the server's
RSS and CPU, whether every stream received every event in order, and the
SetStatus latency meanwhile. Then it does the same against a bare grpc.aio
server whose SetStatus only broadcasts one pre-encoded event to every
stream, the floor any Python gRPC fan-out stands on, and prints the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from bench import STATUSES, create_agents, free_port, server_process
from google.protobuf import timestamp_pb2
from presence_client.proto import presence_pb2, presence_pb2_grpc

PER_CHANNEL = 100
SERVICE = "presence.v1.PresenceService"


# --- what a run measures -------------------------------------------------------


@dataclass
class Run:
    subscribers: int
    rate: float
    seconds: float = 0.0
    changes: int = 0
    set_status: list[float] = field(default_factory=list)
    errors: int = 0
    client: dict[str, Any] = field(default_factory=dict)
    cpu: float = 0.0
    client_cpu: float = 0.0
    rss_mib: float = 0.0

    def row(self) -> dict[str, float]:
        client = self.client
        return {
            "changes/s": self.changes / self.seconds,
            "msgs/s": client["messages"] / client["seconds"],
            "events/s": client["events"] / client["seconds"],
            "p50 ms": client["p50"] * 1000,
            "p99 ms": client["p99"] * 1000,
            "cpu": self.cpu,
            "rss MiB": self.rss_mib,
            "set p99 ms": percentile(self.set_status, 0.99) * 1000,
        }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- the benchmark --------------------------------------------------------------


async def fan_out(options: argparse.Namespace) -> None:
    counts = [int(x) for x in options.subscribers.split(",")]
    plan = [(n, options.rate) for n in counts]
    if options.slow_rate:
        plan.append((max(counts), options.slow_rate))
    print(
        f"Fan-out, {options.duration:.0f} s per run, SQLite, {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f} before); subscribers in one client "
        f"process ({PER_CHANNEL} streams per connection), SetStatus from another"
    )
    ours = {}
    for subscribers, rate in plan:
        ours[subscribers, rate] = await _run_presence(subscribers, rate, options)
        print_run("presence", ours[subscribers, rate], None)
    for subscribers, rate in plan:
        bare = await _run_bare(subscribers, rate, options)
        print_run("bare grpc", bare, ours[subscribers, rate])
    big = ours.get((max(counts), options.rate))
    if big is not None:
        print(
            f"SetStatus while {big.subscribers} subscribers stream at "
            f"{options.rate:.0f} changes/s: p50 "
            f"{percentile(big.set_status, 0.5) * 1000:.1f} ms, p99 "
            f"{percentile(big.set_status, 0.99) * 1000:.1f} ms (target < 50 ms)"
        )


def print_run(label: str, run: Run, ours: Run | None) -> None:
    row = run.row()
    complete = "all delivered" if run.client["complete"] else "MISSING EVENTS"
    print(
        f"  {label:<9} subs={run.subscribers:<5} {row['changes/s']:6.1f} changes/s  "
        f"{row['msgs/s']:8.0f} msgs/s  {row['events/s']:8.0f} events/s  "
        f"p50 {row['p50 ms']:6.1f} ms  p99 {row['p99 ms']:6.1f} ms  "
        f"cpu {row['cpu']:4.2f} (client {run.client_cpu:4.2f})  "
        f"rss {row['rss MiB']:5.0f} MiB  "
        f"SetStatus p99 {row['set p99 ms']:6.1f} ms  {complete}"
    )
    if ours is not None:
        theirs = ours.row()
        print(
            f"  {'ratio':<9} presence / bare: p99 latency "
            f"{theirs['p99 ms'] / max(row['p99 ms'], 0.001):5.2f}x, cpu "
            f"{theirs['cpu'] / max(row['cpu'], 0.001):5.2f}x, msgs/s "
            f"{theirs['msgs/s'] / max(row['msgs/s'], 0.001):5.2f}x"
        )


async def _run_presence(
    subscribers: int, rate: float, options: argparse.Namespace
) -> Run:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            "PRESENCE_LISTEN_ADDRESS": f"127.0.0.1:{port}",
            "PRESENCE_DATA_DIR": data,
            "PRESENCE_DATABASE_URL": f"sqlite:///{data}/bench.db",
            "PRESENCE_METRICS_ADDRESS": "",
            "PRESENCE_LOG_LEVEL": "WARNING",
            # Development mode: the benchmark measures fan-out, not auth.
            "PRESENCE_AUTH_DISABLED": "true",
        }
        command = [str(Path(sys.executable).with_name("presence-server"))]
        with server_process(command, env, port) as process:
            address = f"127.0.0.1:{port}"
            agents = await create_agents(address, options.agents)
            return await _measure(
                address, process.pid, agents, subscribers, rate, options
            )


async def _run_bare(subscribers: int, rate: float, options: argparse.Namespace) -> Run:
    port = free_port()
    command = [sys.executable, str(Path(__file__).with_name("bench.py"))]
    with server_process(
        [*command, "bare-fanout-server", str(port)], {}, port
    ) as process:
        agents = [f"bench-{i:05d}" for i in range(options.agents)]
        return await _measure(
            f"127.0.0.1:{port}", process.pid, agents, subscribers, rate, options
        )


async def _measure(
    address: str,
    pid: int,
    agents: list[str],
    subscribers: int,
    rate: float,
    options: argparse.Namespace,
) -> Run:
    run = Run(subscribers, rate)
    with _client(address, subscribers) as client:
        async with grpc.aio.insecure_channel(address) as channel:
            driver = _Driver(presence_pb2_grpc.PresenceServiceStub(channel), agents)
            # Warm up, so that every stream is live and caught up.
            await driver.run(rate, 1.0, Run(subscribers, rate))
            client.say("go")
            client_pid = client.process.pid
            cpu, client_cpu = process_cpu(pid), process_cpu(client_pid)
            began = time.perf_counter()
            sampler = asyncio.create_task(_sample_rss(pid, run))
            await driver.run(rate, options.duration, run)
            run.seconds = time.perf_counter() - began
            run.cpu = (process_cpu(pid) - cpu) / run.seconds
            run.client_cpu = (process_cpu(client_pid) - client_cpu) / run.seconds
            sampler.cancel()
        client.say(f"stop {driver.final}")
        run.client = client.result()
    return run


class _Driver:
    """SetStatus at a fixed rate (open loop), each call a real change."""

    def __init__(self, stub: Any, agents: list[str]) -> None:
        self.stub = stub
        self.agents = agents
        self.sequence = 0
        # The revision of the last change made.
        self.final = 0

    async def run(self, rate: float, seconds: float, run: Run) -> None:
        began = time.perf_counter()
        calls = []
        for i in range(int(rate * seconds)):
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n, self.sequence = self.sequence, self.sequence + 1
            agent = self.agents[n % len(self.agents)]
            status = STATUSES[(n // len(self.agents)) % len(STATUSES)]
            calls.append(asyncio.create_task(self._one(agent, status, run)))
        await asyncio.gather(*calls)

    async def _one(self, agent: str, status: str, run: Run) -> None:
        start = time.perf_counter()
        try:
            answer = await self.stub.SetStatus(
                presence_pb2.SetStatusRequest(agent_id=agent, status_type_id=status)
            )
        except grpc.aio.AioRpcError:
            run.errors += 1
            return
        run.set_status.append(time.perf_counter() - start)
        run.changes += 1
        self.final = max(self.final, answer.presence.revision)


async def _sample_rss(pid: int, run: Run) -> None:
    while True:
        run.rss_mib = max(run.rss_mib, process_rss(pid))
        await asyncio.sleep(1.0)


class _ClientProcess:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(word):
            raise SystemExit(f"subscriber process said {line!r}, expected {word}")

    def result(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the subscriber process ended without a result")
        return json.loads(line)  # type: ignore[no-any-return]


@contextmanager
def _client(address: str, subscribers: int) -> Iterator[_ClientProcess]:
    bench = str(Path(__file__).with_name("bench.py"))
    process = subprocess.Popen(
        [sys.executable, bench, "fan-out-client", address, str(subscribers)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    client = _ClientProcess(process)
    try:
        client.expect("ready")
        yield client
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


# --- the subscriber process -------------------------------------------------------


class _Tally:
    """What every stream received, and when.

    One client process reads every stream on two shared cores, so messages
    are not parsed whole: each is scanned for its events' revisions (the
    first field of an event), and only every ``SAMPLE``-th stream decodes
    its events' times for the latency figures.
    """

    SAMPLE = 10

    def __init__(self, streams: int) -> None:
        self.latencies: list[float] = []
        self.messages = 0
        self.events = 0
        self.counting = False
        self.started: list[int] = [-1] * streams
        self.last: list[int] = [-1] * streams
        self.in_order = [True] * streams

    def take(self, index: int, data: bytes) -> None:
        now = time.time()
        if self.started[index] < 0:
            first = presence_pb2.SubscribePresenceResponse.FromString(data)
            self.started[index] = self.last[index] = first.revision
            return
        last = self.last[index]
        count = 0
        for revision in _event_revisions(data):
            if revision != last + 1:
                self.in_order[index] = False
            last = revision
            count += 1
        self.last[index] = last
        if self.counting:
            self.messages += 1
            self.events += count
            if index % self.SAMPLE == 0:
                message = presence_pb2.SubscribePresenceResponse.FromString(data)
                self.latencies += [now - _seconds(e.time) for e in message.events]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _event_revisions(data: bytes) -> Iterator[int]:
    """The revision of each event of a SubscribePresenceResponse, in order."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        kind = key & 7
        if kind == 0:
            _, at = _varint(data, at)
            continue
        size, at = _varint(data, at)
        if key == 0x0A and data[at] == 0x08:  # events = 1; its revision = 1
            yield _varint(data, at + 1)[0]
        at += size


def _seconds(stamp: timestamp_pb2.Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


async def _until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while True:
        if check() or time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.05)


async def subscriber_process(address: str, count: int) -> None:
    tally = _Tally(count)
    channels = [
        grpc.aio.insecure_channel(address) for _ in range(0, count, PER_CHANNEL)
    ]

    request = presence_pb2.SubscribePresenceRequest().SerializeToString()

    async def stream(index: int) -> None:
        subscribe = channels[index // PER_CHANNEL].unary_stream(
            f"/{SERVICE}/SubscribePresence"
        )
        async for data in subscribe(request):
            tally.take(index, data)

    tasks = [asyncio.create_task(stream(i)) for i in range(count)]
    await _until(lambda: min(tally.started) >= 0, 120)
    loop = asyncio.get_running_loop()
    lines = asyncio.Queue[str]()
    loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
    print("ready", flush=True)

    assert (await lines.get()).startswith("go")
    tally.counting = True
    began = time.perf_counter()
    final = int((await lines.get()).split()[1])
    elapsed = time.perf_counter() - began
    await _until(lambda: min(tally.last) >= final, 30)
    result = {
        "messages": tally.messages,
        "events": tally.events,
        "seconds": elapsed,
        "p50": percentile(tally.latencies, 0.5),
        "p99": percentile(tally.latencies, 0.99),
        "complete": min(tally.last) >= final and all(tally.in_order),
    }
    print(json.dumps(result), flush=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for channel in channels:
        await channel.close()


# --- the bare server ----------------------------------------------------------------


class _BareFanOut:
    """SetStatus broadcasts one pre-encoded event to every open stream."""

    def __init__(self) -> None:
        self.revision = 0
        self.streams: set[_BareStream] = set()

    async def set_status(self, request: bytes, context: Any) -> bytes:
        self.revision += 1
        event = presence_pb2.PresenceEvent(
            revision=self.revision, type=presence_pb2.EVENT_TYPE_STATUS_CHANGED
        )
        event.time.GetCurrentTime()
        encoded = presence_pb2.SubscribePresenceResponse(
            events=[event], revision=self.revision
        ).SerializeToString()
        for stream in self.streams:
            stream.pending.append(encoded)
            stream.ready.set()
        return presence_pb2.PresenceChange(
            presence=presence_pb2.AgentStatus(revision=self.revision)
        ).SerializeToString()

    async def subscribe(self, request: bytes, context: Any) -> None:
        stream = _BareStream()
        self.streams.add(stream)
        try:
            await context.write(
                presence_pb2.SubscribePresenceResponse(
                    heartbeat=True, revision=self.revision
                ).SerializeToString()
            )
            while True:
                await stream.ready.wait()
                stream.ready.clear()
                pending, stream.pending = stream.pending, []
                await context.write(b"".join(pending))
        finally:
            self.streams.discard(stream)

    async def get_presence(self, request: bytes, context: Any) -> bytes:
        return presence_pb2.AgentStatus(revision=self.revision).SerializeToString()


class _BareStream:
    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.ready = asyncio.Event()


async def bare_fanout_server(port: int) -> None:
    bare = _BareFanOut()
    handlers = {
        "SetStatus": grpc.unary_unary_rpc_method_handler(bare.set_status),
        "GetPresence": grpc.unary_unary_rpc_method_handler(bare.get_presence),
        "SubscribePresence": grpc.unary_stream_rpc_method_handler(bare.subscribe),
    }
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, handlers),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)
