"""The public surface: every RPC of the proto answers, reflection, health."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

import presence_server._proto.presence.v1 as generated
from presence_server.api import SERVICE_NAMES, SIMULATION_SERVICE_NAMES
from tests.helpers.server import RunningServer

# Codes that would mean an RPC is missing or crashed on an empty request.
NOT_IMPLEMENTED_OR_BROKEN = {
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
}


def proto_services() -> list[ServiceDescriptor]:
    """Every service declared in proto/presence/v1, from the generated code."""
    found = []
    for module_info in pkgutil.iter_modules(generated.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"{generated.__name__}.{module_info.name}")
        found.extend(module.DESCRIPTOR.services_by_name.values())
    return sorted(found, key=lambda s: s.full_name)


def served_services() -> list[ServiceDescriptor]:
    """The services a production server offers (no simulated clock)."""
    return [s for s in proto_services() if s.full_name not in SIMULATION_SERVICE_NAMES]


def proto_methods() -> list[MethodDescriptor]:
    return [m for s in served_services() for m in s.methods]


async def _call_with_empty_request(
    channel: grpc.aio.Channel, method: MethodDescriptor
) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    # No serializers: raw bytes in and out; b"" is the empty message.
    if method.client_streaming and method.server_streaming:
        call: Any = channel.stream_stream(path)(iter([b""]), timeout=5)
    elif method.client_streaming:
        call = channel.stream_unary(path)(iter([b""]), timeout=5)
    elif method.server_streaming:
        call = channel.unary_stream(path)(b"", timeout=5)
    else:
        call = channel.unary_unary(path)(b"", timeout=5)

    try:
        if method.server_streaming:
            # A stream that answers at all is implemented; do not wait for
            # its end (subscriptions never end by themselves).
            async for _ in call:
                break
            call.cancel()
            return grpc.StatusCode.OK
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_the_proto_declares_the_services_the_server_registers() -> None:
    assert {s.full_name for s in proto_services()} == {
        *SERVICE_NAMES,
        *SIMULATION_SERVICE_NAMES,
    }


@pytest.mark.parametrize("method", proto_methods(), ids=lambda m: m.full_name)
async def test_every_rpc_in_the_proto_is_implemented(
    sqlite_server: RunningServer, method: MethodDescriptor
) -> None:
    code = await _call_with_empty_request(sqlite_server.channel, method)

    assert code not in NOT_IMPLEMENTED_OR_BROKEN


def _reflected(address: str) -> tuple[list[str], dict[str, list[str]]]:
    """What ``grpcurl list`` and ``grpcurl describe`` would show."""
    with grpc.insecure_channel(address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = sorted(database.get_services())
        pool = DescriptorPool(database)
        methods = {
            name: [m.name for m in pool.FindServiceByName(name).methods]
            for name in services
        }
    return services, methods


async def test_reflection_lists_every_service_with_its_methods(
    sqlite_server: RunningServer,
) -> None:
    # The reflection client is synchronous; the server runs on this loop.
    services, methods = await asyncio.to_thread(_reflected, sqlite_server.address)

    assert services == sorted(
        [
            *SERVICE_NAMES,
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    )
    for service in served_services():
        assert service.full_name in methods, f"{service.full_name} not served"
        assert methods[service.full_name] == [m.name for m in service.methods]


@pytest.mark.parametrize("service", ["", *SERVICE_NAMES])
async def test_health_is_serving_for_the_server_and_each_service(
    sqlite_server: RunningServer, service: str
) -> None:
    reply = await sqlite_server.health.Check(
        health_pb2.HealthCheckRequest(service=service)
    )

    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_turns_not_serving_when_shutdown_begins(
    sqlite_server: RunningServer,
) -> None:
    watch = sqlite_server.health.Watch(health_pb2.HealthCheckRequest(service=""))
    first = await watch.read()

    stopping = asyncio.create_task(sqlite_server.server.stop(grace=10))
    second = await asyncio.wait_for(watch.read(), 10)
    watch.cancel()
    await asyncio.wait_for(stopping, 10)

    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
