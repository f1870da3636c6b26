"""The Prometheus endpoint, scraped over HTTP from a real server."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2
from prometheus_client.parser import text_string_to_metric_families

from presence_server._proto.presence.v1 import status_types_pb2
from tests.helpers.server import RunningServer, poll_until, running_server

STATUS_TYPES = "presence.v1.StatusTypeService"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


async def scrape(
    server: RunningServer,
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample: (name, labels) -> value."""
    text = await asyncio.to_thread(_fetch, server.metrics_url)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


async def test_rpcs_are_counted_by_method_and_code_and_timed(
    sqlite_server: RunningServer,
) -> None:
    await sqlite_server.status_types.ListStatusTypes(
        status_types_pb2.ListStatusTypesRequest()
    )
    await sqlite_server.status_types.ListStatusTypes(
        status_types_pb2.ListStatusTypesRequest()
    )
    with pytest.raises(grpc.aio.AioRpcError):
        await sqlite_server.status_types.GetStatusType(
            status_types_pb2.GetStatusTypeRequest(id="nap")
        )

    samples = await scrape(sqlite_server)

    list_ok = key(
        "grpc_server_handled_total",
        grpc_service=STATUS_TYPES,
        grpc_method="ListStatusTypes",
        grpc_code="OK",
    )
    get_not_found = key(
        "grpc_server_handled_total",
        grpc_service=STATUS_TYPES,
        grpc_method="GetStatusType",
        grpc_code="NOT_FOUND",
    )
    list_timed = key(
        "grpc_server_handling_seconds_count",
        grpc_service=STATUS_TYPES,
        grpc_method="ListStatusTypes",
    )
    assert samples[list_ok] == 2
    assert samples[get_not_found] == 1
    assert samples[list_timed] == 2


async def test_open_streams_gauge_follows_a_stream_open_and_closed(
    sqlite_server: RunningServer,
) -> None:
    watching = key(
        "grpc_server_open_streams",
        grpc_service="grpc.health.v1.Health",
        grpc_method="Watch",
    )

    async def open_streams_is(value: float) -> bool:
        return (await scrape(sqlite_server)).get(watching, 0.0) == value

    watch = sqlite_server.health.Watch(health_pb2.HealthCheckRequest(service=""))
    await watch.read()
    await poll_until(lambda: open_streams_is(1), what="one open stream")

    watch.cancel()

    await poll_until(lambda: open_streams_is(0), what="no open stream")


async def test_agents_per_status_comes_from_the_source_at_scrape_time(
    sqlite_server: RunningServer,
) -> None:
    counts = {"available": 3, "break": 1}
    sqlite_server.server.metrics.set_agents_per_status(lambda: counts)

    first = await scrape(sqlite_server)
    counts["available"] = 2
    second = await scrape(sqlite_server)

    assert first[key("presence_agents", status="available")] == 3
    assert first[key("presence_agents", status="break")] == 1
    assert second[key("presence_agents", status="available")] == 2


async def test_a_failing_agents_source_leaves_the_endpoint_up(
    sqlite_server: RunningServer,
) -> None:
    def broken() -> dict[str, int]:
        raise RuntimeError("engine not ready")

    sqlite_server.server.metrics.set_agents_per_status(broken)
    await sqlite_server.status_types.ListStatusTypes(
        status_types_pb2.ListStatusTypesRequest()
    )

    samples = await scrape(sqlite_server)

    assert not [k for k in samples if k[0] == "presence_agents"]
    assert [k for k in samples if k[0] == "grpc_server_handled_total"]


async def test_empty_metrics_address_disables_the_endpoint(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_server(sqlite_url, tmp_path, metrics_address="") as running:
        assert running.server.metrics_port is None


async def test_two_servers_in_one_process_count_separately(
    sqlite_url: str, tmp_path: Path, sqlite_server: RunningServer
) -> None:
    other_url = sqlite_url.replace("presence.db", "other.db")
    async with running_server(other_url, tmp_path / "other") as other:
        await other.status_types.ListStatusTypes(
            status_types_pb2.ListStatusTypesRequest()
        )

        samples = await scrape(sqlite_server)

    list_ok = key(
        "grpc_server_handled_total",
        grpc_service=STATUS_TYPES,
        grpc_method="ListStatusTypes",
        grpc_code="OK",
    )
    assert list_ok not in samples


async def test_metrics_port_in_use_leaves_the_server_running_without_them(
    sqlite_url: str,
    tmp_path: Path,
    sqlite_server: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    taken = f"127.0.0.1:{sqlite_server.server.metrics_port}"
    other_url = sqlite_url.replace("presence.db", "other.db")

    async with running_server(
        other_url, tmp_path / "other", metrics_address=taken
    ) as other:
        reply = await other.status_types.ListStatusTypes(
            status_types_pb2.ListStatusTypesRequest()
        )

        assert other.server.metrics_port is None
    assert reply.status_types
    assert any(
        r.levelname == "WARNING" and "metrics disabled" in r.getMessage()
        for r in caplog.records
    )
