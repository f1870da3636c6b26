"""Benchmarks that print their figures.

    python scripts/bench.py set-status [--duration 5] [--agents 1000]
    python scripts/bench.py fan-out [--duration 30] [--subscribers 1,100,1000]

``set-status`` starts a real ``presence-server`` (SQLite, then PostgreSQL
when reachable), creates the agents, and drives ``SetStatus`` at each
concurrency for ``--duration`` seconds from one client process; then it does
the same against a bare grpc.aio server whose ``SetStatus`` handler returns an
empty answer, the floor any Python gRPC service stands on. Every change the
real server answers is committed to its database first.

``fan-out`` measures presence streams; see ``scripts/bench_fanout.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from presence_client.proto import (
    agents_pb2,
    agents_pb2_grpc,
    presence_pb2,
    presence_pb2_grpc,
)

STATUSES = ("available", "idle", "away", "meeting")
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class Figures:
    calls: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(
    args: list[str], env: dict[str, str], port: int
) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, process)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"server exited: {process.stderr.read() if process.stderr else ''}"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"server did not listen on {port} within 30 s")


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    try:
        import asyncpg

        admin = await asyncpg.connect(f"{POSTGRES}/postgres", timeout=3)
    except Exception as error:
        print(f"  PostgreSQL not reachable ({error}); skipped")
        yield None
        return
    name = f"presence_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def create_agents(address: str, count: int) -> list[str]:
    ids = [f"bench-{i:05d}" for i in range(count)]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = agents_pb2_grpc.AgentServiceStub(channel)
        for start in range(0, count, 50):
            await asyncio.gather(
                *(
                    stub.CreateAgent(
                        agents_pb2.CreateAgentRequest(
                            agent=agents_pb2.Agent(id=i, display_name=i, team="bench")
                        )
                    )
                    for i in ids[start : start + 50]
                )
            )
    return ids


async def drive(
    address: str, agents: list[str], concurrency: int, duration: float
) -> Figures:
    latencies: list[float] = []
    errors = 0
    async with grpc.aio.insecure_channel(address) as channel:
        stub = presence_pb2_grpc.PresenceServiceStub(channel)
        await channel.channel_ready()
        stop_at = time.perf_counter() + duration

        async def worker(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while time.perf_counter() < stop_at:
                request = presence_pb2.SetStatusRequest(
                    agent_id=rng.choice(agents),
                    status_type_id=rng.choice(STATUSES),
                    request_id=uuid.uuid4().hex,
                )
                began = time.perf_counter()
                try:
                    await stub.SetStatus(request)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
    return Figures(len(latencies), elapsed, latencies, errors)


def print_row(
    label: str, concurrency: int, figures: Figures, floor: Figures | None
) -> None:
    ratio = f"{figures.rate / floor.rate:5.2f}" if floor else "   - "
    p50, p99 = figures.percentile(0.5), figures.percentile(0.99)
    print(
        f"  {label:<11} c={concurrency:<3} {figures.rate:8.0f} calls/s   "
        f"p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   errors {figures.errors}   "
        f"vs bare {ratio}"
    )


async def set_status(options: argparse.Namespace) -> None:
    levels = [int(x) for x in options.concurrency.split(",")]
    print(
        f"SetStatus, {options.agents} agents, {options.duration:.0f} s per level, "
        f"one client process, {os.cpu_count()} cores"
    )

    port = free_port()
    bare: dict[int, Figures] = {}
    with server_process([sys.executable, __file__, "bare-server", str(port)], {}, port):
        ids = [f"bench-{i:05d}" for i in range(options.agents)]
        for level in levels:
            bare[level] = await drive(f"127.0.0.1:{port}", ids, level, options.duration)
            print_row("bare grpc", level, bare[level], None)

    with tempfile.TemporaryDirectory() as data:
        await _bench_backend(
            "sqlite", f"sqlite:///{data}/bench.db", data, options, levels, bare
        )
    if not options.sqlite_only:
        async with postgres_database() as url:
            if url:
                with tempfile.TemporaryDirectory() as data:
                    await _bench_backend("postgresql", url, data, options, levels, bare)


async def _bench_backend(
    label: str,
    url: str,
    data: str,
    options: argparse.Namespace,
    levels: list[int],
    bare: dict[int, Figures],
) -> None:
    port = free_port()
    env = {
        "PRESENCE_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "PRESENCE_DATA_DIR": data,
        "PRESENCE_DATABASE_URL": url,
        "PRESENCE_METRICS_ADDRESS": "",
        "PRESENCE_LOG_LEVEL": "WARNING",
        # Development mode: the benchmark measures presence, not token checks.
        "PRESENCE_AUTH_DISABLED": "true",
    }
    server = str(Path(sys.executable).with_name("presence-server"))
    with server_process([server], env, port):
        address = f"127.0.0.1:{port}"
        ids = await create_agents(address, options.agents)
        for level in levels:
            figures = await drive(address, ids, level, options.duration)
            print_row(label, level, figures, bare[level])


class _Bare(presence_pb2_grpc.PresenceServiceServicer):
    async def SetStatus(
        self, request: presence_pb2.SetStatusRequest, context: object
    ) -> presence_pb2.PresenceChange:
        return presence_pb2.PresenceChange()


async def bare_server(port: int) -> None:
    server = grpc.aio.server()
    presence_pb2_grpc.add_PresenceServiceServicer_to_server(_Bare(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("set-status", help="SetStatus throughput and latency")
    bench.add_argument("--duration", type=float, default=5.0)
    bench.add_argument("--agents", type=int, default=1000)
    bench.add_argument("--concurrency", default="1,10,50")
    bench.add_argument("--sqlite-only", action="store_true")
    bare = commands.add_parser("bare-server", help=argparse.SUPPRESS)
    bare.add_argument("port", type=int)
    fan = commands.add_parser("fan-out", help="presence streams to many subscribers")
    fan.add_argument("--duration", type=float, default=30.0)
    fan.add_argument("--agents", type=int, default=1000)
    fan.add_argument("--subscribers", default="1,100,1000")
    fan.add_argument("--rate", type=float, default=100.0, help="changes per second")
    fan.add_argument(
        "--slow-rate",
        type=float,
        default=10.0,
        help="a last run at this rate with the most subscribers; 0 = none",
    )
    client = commands.add_parser("fan-out-client", help=argparse.SUPPRESS)
    client.add_argument("address")
    client.add_argument("subscribers", type=int)
    bare_fan = commands.add_parser("bare-fanout-server", help=argparse.SUPPRESS)
    bare_fan.add_argument("port", type=int)
    options = parser.parse_args()

    if options.command == "bare-server":
        asyncio.run(bare_server(options.port))
    elif options.command == "set-status":
        asyncio.run(set_status(options))
    else:
        import bench_fanout

        if options.command == "fan-out":
            asyncio.run(bench_fanout.fan_out(options))
        elif options.command == "fan-out-client":
            asyncio.run(
                bench_fanout.subscriber_process(options.address, options.subscribers)
            )
        else:
            asyncio.run(bench_fanout.bare_fanout_server(options.port))


if __name__ == "__main__":
    main()
