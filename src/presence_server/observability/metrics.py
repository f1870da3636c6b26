"""Prometheus metrics of one server, in a registry of its own.

Each ``Metrics`` has its own ``CollectorRegistry`` (never the global one), so
several servers can live in one process - tests start many - without their
counts mixing. What is exported:

- ``grpc_server_handled_total{grpc_service, grpc_method, grpc_code}``: RPCs
  finished, by final status code;
- ``grpc_server_handling_seconds{grpc_service, grpc_method}``: how long each
  RPC took (a histogram), streams included, from start to final status;
- ``grpc_server_open_streams{grpc_service, grpc_method}``: streaming RPCs in
  progress now;
- ``presence_agents{status}``: agents per current status id, read when
  scraped from the source given to ``set_agents_per_status``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Admin calls take milliseconds; status changes are meant to stay under a few
# milliseconds; long streams land in the top buckets.
_LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    60.0,
    600.0,
)

AgentsPerStatus = Callable[[], Mapping[str, int]]


class _AgentsPerStatusCollector(Collector):
    def __init__(self) -> None:
        self.source: AgentsPerStatus | None = None

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "presence_agents", "Agents per current status id", labels=["status"]
        )
        source = self.source
        if source is not None:
            try:
                counts = dict(source())
            except Exception:
                # A scrape must never take the endpoint down; the gauge is
                # simply absent from this scrape.
                logger.exception("counting agents per status failed")
                counts = {}
            for status, count in sorted(counts.items()):
                family.add_metric([status], count)
        yield family


class Metrics:
    """The metrics of one server; the API interceptor records into it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.handled = Counter(
            "grpc_server_handled",
            "RPCs finished, by final status code",
            ["grpc_service", "grpc_method", "grpc_code"],
            registry=self.registry,
        )
        self.handling_seconds = Histogram(
            "grpc_server_handling_seconds",
            "Time from the start of an RPC to its final status",
            ["grpc_service", "grpc_method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.open_streams = Gauge(
            "grpc_server_open_streams",
            "Streaming RPCs in progress",
            ["grpc_service", "grpc_method"],
            registry=self.registry,
        )
        self._agents = _AgentsPerStatusCollector()
        self.registry.register(self._agents)

    def set_agents_per_status(self, source: AgentsPerStatus | None) -> None:
        """Feed ``presence_agents`` from ``source`` (``None`` empties it).

        ``source`` returns ``{status_type_id: agent_count}``. It is called on
        the metrics HTTP thread at every scrape, so it must be fast and
        thread-safe: return a snapshot of counts the engine keeps in memory,
        never query the database.
        """
        self._agents.source = source


class MetricsEndpoint:
    """The HTTP endpoint Prometheus scrapes (``/metrics``), on its own thread."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._metrics = metrics
        self._host = host or "0.0.0.0"
        self._port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (meaningful after ``start``, also when asked for 0)."""
        if self._server is None:
            raise RuntimeError("the metrics endpoint is not started")
        return int(self._server.server_port)

    def start(self) -> None:
        """Bind and serve. Raises ``OSError`` when the address is taken."""
        self._server, self._thread = start_http_server(
            self._port, addr=self._host, registry=self._metrics.registry
        )

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
