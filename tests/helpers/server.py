"""Run a real presence server for a test: in-process, or as a child process.

In-process (async tests; fast, shares the test's event loop)::

    from tests.helpers.server import running_server

    async def test_something(database_url, tmp_path):
        async with running_server(database_url, tmp_path) as server:
            reply = await server.status_types.ListStatusTypes(
                status_types_pb2.ListStatusTypesRequest()
            )

``running_server`` starts a ``PresenceServer`` on a free loopback port (and
a metrics endpoint on another), opens an aio channel with the generated
stubs, and stops both on exit. Pass ``clock=`` to drive time, and any other
``Settings`` field as a keyword to override it. Authentication is off
(``auth_disabled=True``) unless a test passes ``auth_disabled=False``.
``backend_url("sqlite" | "postgresql", directory)`` gives a fresh database
outside the function-scoped ``database_url`` fixture (for module-scoped
servers, see tests/api/conftest.py).

As a process (sync tests that need a real ``presence-server`` command:
signals, exit codes, restarts, two processes on one file)::

    from tests.helpers.server import ServerProcess

    with ServerProcess(tmp_path / "data") as process:
        process.wait_until_listening()
        stub = status_types_pb2_grpc.StatusTypeServiceStub(process.channel())
        ...
        assert process.stop() == 0  # SIGTERM, then the exit code

The child listens on port 0 and the helper reads the real port from its
"listening on" log line. Its environment has no inherited ``PRESENCE_*``
variable but ``PRESENCE_AUTH_DISABLED=true``; pass ``env=`` to add some (or
override that one) and ``args=`` for command-line flags.
Everything it writes to stderr is in ``process.lines``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from presence_server._proto.presence.v1 import (
    agents_pb2_grpc,
    presence_pb2_grpc,
    status_types_pb2_grpc,
)
from presence_server.app import PresenceServer
from presence_server.engine.clock import Clock, ManualClock
from presence_server.settings import Settings

# How long helpers wait for something that normally takes milliseconds.
DEFAULT_TIMEOUT = 20.0

LISTENING = re.compile(r"listening on (?P<address>\S+?:(?P<port>\d+)),")


@dataclass
class RunningServer:
    """A started in-process server and a client channel to it."""

    server: PresenceServer
    channel: grpc.aio.Channel
    status_types: Any  # StatusTypeServiceStub (aio)
    agents: Any  # AgentServiceStub (aio)
    presence: Any  # PresenceServiceStub (aio)
    health: Any  # HealthStub (aio)

    @property
    def address(self) -> str:
        return self.server.address

    @property
    def clock(self) -> ManualClock:
        """The server's clock, when the test gave it a ``ManualClock``."""
        clock = self.server.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("this server runs on the system clock")
        return clock

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.server.metrics_port}/metrics"


def server_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test server: loopback, free ports, nothing from the env."""
    values: dict[str, Any] = {
        "listen_address": "127.0.0.1:0",
        "data_dir": data_dir,
        "database_url": database_url,
        "log_level": "DEBUG",
        "log_format": "text",
        "metrics_address": "127.0.0.1:0",
        "grace_seconds": 0,
        # Development mode unless a test turns authentication on itself.
        "auth_disabled": True,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_server(
    database_url: str,
    data_dir: Path,
    *,
    clock: Clock | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    **overrides: Any,
) -> AsyncIterator[RunningServer]:
    """A ``PresenceServer`` started for the block, with aio stubs to it.

    ``monotonic`` is what rate limits count seconds with.
    """
    server = PresenceServer(
        server_settings(database_url, data_dir, **overrides),
        clock=clock,
        monotonic=monotonic,
    )
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    try:
        yield RunningServer(
            server=server,
            channel=channel,
            status_types=status_types_pb2_grpc.StatusTypeServiceStub(channel),
            agents=agents_pb2_grpc.AgentServiceStub(channel),
            presence=presence_pb2_grpc.PresenceServiceStub(channel),
            health=health_pb2_grpc.HealthStub(channel),
        )
    finally:
        await channel.close()
        await server.stop(grace=0)


@asynccontextmanager
async def backend_url(backend: str, directory: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file in ``directory``, or PostgreSQL.

    PostgreSQL skips (or fails under ``CI=true``) like the ``database_url``
    fixture when it cannot be reached.
    """
    from tests.conftest import fresh_postgres_database

    if backend == "sqlite":
        yield f"sqlite:///{directory / 'presence.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


def wait_until(
    condition: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT, what: str = ""
) -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def server_command() -> list[str]:
    """The installed ``presence-server`` console script."""
    beside_python = Path(sys.executable).with_name("presence-server")
    found = str(beside_python) if beside_python.exists() else None
    found = found or shutil.which("presence-server")
    if found is None:
        raise RuntimeError("presence-server is not installed (pip install -e .)")
    return [found]


class ServerProcess:
    """``presence-server`` in a child process; see the module docstring."""

    def __init__(
        self,
        data_dir: Path,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        listen_address: str = "127.0.0.1:0",
    ) -> None:
        self.data_dir = data_dir
        self.args = [*args]
        self.lines: list[str] = []
        self._env = {
            k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")
        }
        self._env.update(
            {
                "PRESENCE_LISTEN_ADDRESS": listen_address,
                "PRESENCE_DATA_DIR": str(data_dir),
                "PRESENCE_METRICS_ADDRESS": "",
                "PRESENCE_GRACE_SECONDS": "1",
                # Development mode unless the test's env turns it off.
                "PRESENCE_AUTH_DISABLED": "true",
                **(env or {}),
            }
        )
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._channels: list[grpc.Channel] = []

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> ServerProcess:
        self._process = subprocess.Popen(
            [*server_command(), *self.args],
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def process(self) -> subprocess.Popen[str]:
        if self._process is None:
            raise RuntimeError("not started")
        return self._process

    def wait_until_listening(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the "listening on" line; return the port it names."""
        found: list[re.Match[str]] = []

        def listening() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"presence-server exited with {self.process.returncode}:\n"
                    + self.output
                )
            found.extend(m for line in self.lines if (m := LISTENING.search(line)))
            return bool(found)

        wait_until(listening, timeout, "the 'listening on' line")
        return int(found[0]["port"])

    @property
    def port(self) -> int:
        for line in self.lines:
            if match := LISTENING.search(line):
                return int(match["port"])
        raise RuntimeError("the server has not said where it listens")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def channel(self) -> grpc.Channel:
        """A sync channel to the server, closed when the process is stopped."""
        channel = grpc.insecure_channel(self.address)
        self._channels.append(channel)
        return channel

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the process to exit and its output to be read; the code."""
        code = self.process.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """SIGTERM, then the exit code (killed if it outlives ``timeout``)."""
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        if self.process.poll() is None:
            self.send(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.wait(timeout)
            raise

    def run(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Start and wait for exit (for commands that end by themselves)."""
        self.start()
        return self.wait(timeout)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            with suppress(subprocess.TimeoutExpired):
                self.stop()


async def poll_until(
    check: Callable[[], Awaitable[bool]],
    seconds: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> None:
    """Await ``check`` until it returns true; fail after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.01)
