"""The server process: settings in, a running gRPC server out.

``PresenceServer`` wires the parts together and is what tests run in-process;
``serve`` runs one until SIGTERM or SIGINT, which is what ``presence-server``
does. Startup order: data directory, database, migrations, seeding, gRPC
server (with health and reflection), metrics endpoint, then one INFO line
saying where it listens, over what (plaintext, tls or mtls; see
``presence_server.tls``) and which database it uses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from presence_server.api import (
    AuthInterceptor,
    CatalogTeams,
    add_presence_service,
    add_report_service,
    add_services,
    add_simulation_services,
    add_telephony_service,
    interceptors,
)
from presence_server.api.subscribe import ProtoEncoder
from presence_server.catalog import Catalog
from presence_server.engine.clock import Clock, ManualClock, SystemClock
from presence_server.engine.service import PresenceEngine
from presence_server.engine.tally import StatusTally
from presence_server.observability.metrics import Metrics, MetricsEndpoint
from presence_server.reports.service import Reports
from presence_server.security import RateLimiter, StreamCap
from presence_server.security.authenticator import AuthConfigError, Authenticator
from presence_server.settings import (
    Settings,
    engine_config,
    parse_address,
    stream_config,
    telephony_adapters,
    telephony_options,
)
from presence_server.storage.db import Database
from presence_server.storage.history import latest_recorded_instant
from presence_server.storage.migrate import migrate
from presence_server.streaming import Streams
from presence_server.telephony import (
    AdapterRegistry,
    RegistryError,
    TelephonySync,
    health_service_name,
)
from presence_server.tls import TlsFilesError, server_credentials, transport

logger = logging.getLogger(__name__)

# Channel options of the gRPC server, each set on purpose.
SERVER_OPTIONS: tuple[tuple[str, int], ...] = (
    # Dead peers: ping a connection after 20 s without traffic and drop it
    # when the ack is 10 s late, so a vanished client is noticed in ~30 s.
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    # Keep pinging idle connections: the default stops after two pings
    # without data, which would leave a long-idle dead peer undetected.
    ("grpc.http2.max_pings_without_data", 0),
    # Client keepalive: accept pings on connections with no call in flight
    # (an agent application waiting between calls)...
    ("grpc.keepalive_permit_without_calls", 1),
    # ...as often as every 5 s, half the 10 s clients are told to use, so
    # timer jitter never makes a ping look early...
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 5_000),
    # ...and never answer early pings with GOAWAY "too_many_pings": 0 means
    # no limit on strikes.
    ("grpc.http2.max_ping_strikes", 0),
    # Fail to start when the port is taken instead of silently sharing it
    # with another process (gRPC sets SO_REUSEPORT by default on Linux).
    ("grpc.so_reuseport", 0),
)


def server_options(settings: Settings) -> tuple[tuple[str, int], ...]:
    """``SERVER_OPTIONS`` and the message size limits of the settings.

    Messages are small (one status type, one page of at most 1000 agents);
    the default limits are gRPC's, settings so that an operator may lower them.
    """
    return (
        *SERVER_OPTIONS,
        ("grpc.max_receive_message_length", settings.auth_max_receive_message_bytes),
        ("grpc.max_send_message_length", settings.auth_max_send_message_bytes),
    )


class StartupError(Exception):
    """The server cannot start for a reason an operator must fix."""


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class PresenceServer:
    """One presence server: database, catalog, gRPC server, metrics.

    ``start`` brings everything up and returns once the server accepts
    calls; ``stop`` takes it down, for good: start a new instance to serve
    again. A listen address with port 0 binds any free port; ``port`` tells
    which. Several instances may run in one process (each has its own metrics
    registry).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or _clock_for(settings)
        # Rate limits count real seconds (tests pass their own function).
        self._monotonic = monotonic
        self.metrics = Metrics()
        self.health = health.aio.HealthServicer()
        # Set when shutdown begins. Long-lived streams watch it and end
        # themselves, so that shutdown does not wait out the whole grace.
        self.stopping = asyncio.Event()
        self._database: Database | None = None
        self._engine: PresenceEngine | None = None
        self._streams: Streams | None = None
        self._telephony: TelephonySync | None = None
        self._server: grpc.aio.Server | None = None
        self._metrics_endpoint: MetricsEndpoint | None = None
        self._port: int | None = None
        self._service_names: tuple[str, ...] = ()

    @property
    def port(self) -> int:
        """The bound gRPC port."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` a client on this machine can dial."""
        host, _ = parse_address(self.settings.listen_address)
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return _host_port(host, self.port)

    @property
    def metrics_port(self) -> int | None:
        """The bound metrics port, ``None`` when metrics are disabled."""
        endpoint = self._metrics_endpoint
        return None if endpoint is None else endpoint.port

    @property
    def engine(self) -> PresenceEngine:
        """The presence engine of the started server."""
        if self._engine is None:
            raise RuntimeError("the server is not started")
        return self._engine

    @property
    def streams(self) -> Streams:
        """The presence streams (SubscribePresence) of the started server."""
        if self._streams is None:
            raise RuntimeError("the server is not started")
        return self._streams

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("the server is not started")
        return self._database

    async def start(self) -> None:
        """Prepare storage and start serving; raise ``StartupError`` if not.

        On failure everything started so far is stopped again.
        """
        try:
            await self._start()
        except BaseException:
            await self.stop(grace=0)
            raise

    async def _start(self) -> None:
        settings = self.settings
        authenticator = self._authenticator()
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StartupError(
                f"cannot create data directory {settings.data_dir}: {error}"
            ) from error

        self._database = Database(settings.database_url)
        await migrate(self._database)
        if isinstance(self.clock, ManualClock):
            await self._check_simulated_start(self._database, self.clock)
        catalog = Catalog(self._database, self.clock)
        await catalog.ensure_seeded()
        self._engine = PresenceEngine(
            self._database, self.clock, engine_config(self.settings)
        )
        # Before the engine starts: the outbox joins its transactions.
        self._telephony = self._make_telephony(self._engine)
        await self._engine.start()
        tally = StatusTally()
        tally.reset(await self._engine.query())
        self._engine.add_listener(tally.on_events)
        self.metrics.set_agents_per_status(tally.snapshot)
        # Presence streams read the event log; commits here wake them at once.
        self._streams = Streams(
            self._database,
            self.clock,
            ProtoEncoder(),
            stream_config(settings),
            stopping=self.stopping,
        )
        await self._streams.start()
        self._engine.add_listener(self._streams.on_events)
        catalog.add_listener(self._streams.wake)
        # New or edited agents get their PBX state before their first change.
        catalog.add_listener(self._telephony.catalog_changed)

        auth = None
        if authenticator is not None:
            auth = AuthInterceptor(
                authenticator,
                CatalogTeams(catalog),
                RateLimiter(
                    settings.auth_rate_per_second,
                    settings.auth_rate_burst,
                    self._monotonic,
                ),
                StreamCap(settings.auth_max_streams_per_identity),
                self.clock,
            )
        server = grpc.aio.server(
            interceptors=interceptors(self.metrics, auth),
            options=server_options(settings),
        )
        self._server = server
        self._service_names = add_services(server, catalog)
        add_presence_service(server, self._engine, self.stopping, self._streams)
        add_report_service(server, Reports(self._database, self.clock))
        add_telephony_service(server, self._telephony)
        if settings.clock == "simulated":
            self._service_names += self._add_simulation(server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        if settings.auth_reflection:
            reflection.enable_server_reflection(
                (
                    *self._service_names,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ),
                server,
            )
        self._port = self._bind(server, settings.listen_address, _credentials(settings))

        if settings.metrics_address:
            self._metrics_endpoint = self._start_metrics(settings.metrics_address)
        await server.start()
        for name in ("", *self._service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        await self._start_telephony()

        if authenticator is not None:
            _warn_if_tokens_cross_in_clear(settings)
        logger.info(
            "listening on %s, %s, database %s%s",
            _host_port(parse_address(settings.listen_address)[0], self.port),
            transport(settings),
            self._database.display_url,
            self._metrics_note(),
        )

    @staticmethod
    async def _check_simulated_start(database: Database, clock: ManualClock) -> None:
        # A simulated clock that starts before what the database already
        # holds would write periods that overlap and events that run
        # backwards; refuse before anything is written.
        async with database.read() as session:
            newest = await latest_recorded_instant(session)
        if newest is not None and clock.now() < newest:
            raise StartupError(
                f"the simulated clock would start at {clock.now().isoformat()}, "
                f"before this database's history, which reaches "
                f"{newest.isoformat()}: set PRESENCE_CLOCK_START to that instant "
                "or later, or use a fresh PRESENCE_DATA_DIR / PRESENCE_DATABASE_URL"
            )

    def _authenticator(self) -> Authenticator | None:
        if self.settings.auth_disabled:
            logger.warning(
                "AUTHENTICATION IS OFF (PRESENCE_AUTH_DISABLED=true): anyone who "
                "can reach this server may do anything; development only"
            )
            return None
        try:
            authenticator = Authenticator.from_settings(self.settings, self.clock.now)
        except AuthConfigError as error:
            raise StartupError(str(error)) from None
        logger.info("authentication on: %s", ", ".join(authenticator.methods))
        return authenticator

    def _make_telephony(self, engine: PresenceEngine) -> TelephonySync:
        names = telephony_adapters(self.settings)
        try:
            adapters = AdapterRegistry().create(names, self.clock) if names else []
        except RegistryError as error:
            raise StartupError(str(error)) from None
        return TelephonySync(
            engine,
            adapters,
            options=telephony_options(self.settings),
            refresh=timedelta(seconds=self.settings.telephony_refresh_seconds),
            on_connection=self._telephony_health,
        )

    async def _start_telephony(self) -> None:
        # Each adapter is NOT_SERVING in the health service until connected.
        telephony = self._telephony
        if telephony is None:
            return
        for name in telephony.names:
            await self.health.set(
                health_service_name(name), health_pb2.HealthCheckResponse.NOT_SERVING
            )
        await telephony.start()

    async def _telephony_health(self, adapter: str, connected: bool) -> None:
        status = health_pb2.HealthCheckResponse
        await self.health.set(
            health_service_name(adapter),
            status.SERVING if connected else status.NOT_SERVING,
        )

    def _add_simulation(self, server: grpc.aio.Server) -> tuple[str, ...]:
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise StartupError("PRESENCE_CLOCK=simulated needs a simulated clock")
        logger.warning(
            "SIMULATED CLOCK at %s: time moves only through SimulatedClockService."
            "AdvanceClock; never run production on it",
            clock.now().isoformat(),
        )
        engine = self._engine
        assert engine is not None

        async def advance(instant: datetime) -> None:
            # Timers due on the way fire in time order, each at its instant.
            await engine.advance_to(instant, clock.set)

        return add_simulation_services(server, clock, advance)

    @staticmethod
    def _bind(
        server: grpc.aio.Server,
        address: str,
        credentials: grpc.ServerCredentials | None,
    ) -> int:
        try:
            if credentials is None:
                port = server.add_insecure_port(address)
            else:
                port = server.add_secure_port(address, credentials)
        except RuntimeError as error:
            port = 0
            cause: BaseException | None = error
        else:
            cause = None
        if not port:
            raise StartupError(
                f"cannot listen on {address}: the address is in use or not "
                "available on this machine"
            ) from cause
        return int(port)

    def _start_metrics(self, address: str) -> MetricsEndpoint | None:
        # Metrics are for operators, not clients: when the port is taken (a
        # second server on the same machine with the default address) the
        # server runs on without them rather than refusing to start.
        host, port = parse_address(address)
        endpoint = MetricsEndpoint(self.metrics, host, port)
        try:
            endpoint.start()
        except OSError as error:
            logger.warning(
                "metrics disabled: cannot serve them on %s: %s",
                address,
                error.strerror or error,
            )
            return None
        return endpoint

    def _metrics_note(self) -> str:
        if self._metrics_endpoint is None:
            return ", metrics off"
        host, _ = parse_address(self.settings.metrics_address)
        where = _host_port(host or "0.0.0.0", self._metrics_endpoint.port)
        return f", metrics on http://{where}/metrics"

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving and release everything. Safe to call more than once.

        Health turns NOT_SERVING first, so load balancers stop sending new
        calls; calls in flight get ``grace`` seconds (the ``grace_seconds``
        setting by default) to finish, then are cancelled.
        """
        if grace is None:
            grace = self.settings.grace_seconds
        self.stopping.set()
        server, self._server = self._server, None
        endpoint, self._metrics_endpoint = self._metrics_endpoint, None
        database, self._database = self._database, None
        engine, self._engine = self._engine, None
        streams, self._streams = self._streams, None
        telephony, self._telephony = self._telephony, None

        if server is not None:
            await self.health.enter_graceful_shutdown()
            await server.stop(grace)
        if endpoint is not None:
            endpoint.stop()
        if telephony is not None:
            # Prompt: what is not on the PBX yet stays in the outbox.
            await telephony.stop()
        if streams is not None:
            await streams.stop()
        if engine is not None:
            await engine.stop()
        if database is not None:
            await database.dispose()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # Every interface (empty host) or a name that may resolve anywhere.
        return False


def _warn_if_tokens_cross_in_clear(settings: Settings) -> None:
    host, _ = parse_address(settings.listen_address)
    if transport(settings) != "plaintext" or _is_loopback(host):
        return
    logger.warning(
        "authentication is on but %s serves plaintext: bearer tokens and API "
        "keys cross the network unencrypted; set PRESENCE_TLS_CERT_FILE and "
        "PRESENCE_TLS_KEY_FILE",
        settings.listen_address,
    )


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    try:
        return server_credentials(settings)
    except TlsFilesError as error:
        raise StartupError(str(error)) from error


def _clock_for(settings: Settings) -> Clock:
    """The system clock, or a simulated one when explicitly asked for."""
    if settings.clock == "simulated" and settings.clock_start is not None:
        return ManualClock(settings.clock_start)
    return SystemClock()


async def serve(settings: Settings) -> None:
    """Run a server until SIGTERM or SIGINT, then stop it gracefully.

    Raises ``StartupError`` when it cannot start. A signal that arrives while
    the server is still starting stops it as soon as it has started.
    """
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    received: list[str] = []

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    server = PresenceServer(settings)
    try:
        await server.start()
        await stopping.wait()
        logger.info(
            "%s received, stopping (in-flight calls get %g s)",
            received[0],
            settings.grace_seconds,
        )
        await server.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    logger.info("stopped")
