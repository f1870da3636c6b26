"""Error translation around every kind of RPC, on a real gRPC server.

A small probe service (plain ``StringValue`` messages) is served with the
production interceptors, so each handler shape - unary or streaming request,
unary or streaming response, async generator or ``context.write`` - is
checked without waiting for the services that will use it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from google.protobuf import wrappers_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server.api import interceptors
from presence_server.api.errors import DOMAIN, grpc_code, rich_status
from presence_server.domain.errors import (
    ErrorCode,
    FieldViolation,
    NotFound,
    PreconditionViolation,
    PresenceError,
    QuotaViolation,
)
from presence_server.observability.metrics import Metrics

Text = wrappers_pb2.StringValue
SERVICE = "test.Probe"


def _rich_error() -> PresenceError:
    return PresenceError(
        "used 2 of 2 this shift",
        reason="LIMIT_REACHED",
        metadata={"status_type": "break"},
        field_violations=[FieldViolation("status_type_id", "bad")],
        precondition_violations=[
            PreconditionViolation("SHIFT", "agent/alice", "no shift open")
        ],
        quota_violations=[QuotaViolation("agent/alice/break", "2 of 2")],
        resource=("status_type", "break"),
    )


class Probe:
    """Handlers of every shape; each fails the way its request text says."""

    def __init__(self) -> None:
        self.seen: list[type[BaseException]] = []
        self.started = asyncio.Event()
        self.ended = asyncio.Event()

    async def _fail(self, how: str, context: Any) -> None:
        if how == "domain":
            raise _rich_error()
        if how == "bug":
            raise RuntimeError("secret detail of a bug")
        if how == "abort":
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, "aborted by handler")
        if how == "hang":
            self.started.set()
            try:
                await asyncio.Event().wait()
            except BaseException as error:
                self.seen.append(type(error))
                self.ended.set()
                raise

    async def unary(self, request: Text, context: Any) -> Text:
        await self._fail(request.value, context)
        return Text(value="ok")

    async def server_stream(self, request: Text, context: Any) -> AsyncIterator[Text]:
        yield Text(value="first")
        await self._fail(request.value, context)
        yield Text(value="second")

    async def server_stream_by_write(self, request: Text, context: Any) -> None:
        await context.write(Text(value="first"))
        await self._fail(request.value, context)

    async def client_stream(self, requests: AsyncIterator[Text], context: Any) -> Text:
        async for request in requests:
            await self._fail(request.value, context)
        return Text(value="ok")

    async def both_streams(
        self, requests: AsyncIterator[Text], context: Any
    ) -> AsyncIterator[Text]:
        async for request in requests:
            yield Text(value="echo")
            await self._fail(request.value, context)

    def handlers(self) -> dict[str, Any]:
        codec = {
            "request_deserializer": Text.FromString,
            "response_serializer": Text.SerializeToString,
        }
        return {
            "Unary": grpc.unary_unary_rpc_method_handler(self.unary, **codec),
            "ServerStream": grpc.unary_stream_rpc_method_handler(
                self.server_stream, **codec
            ),
            "ServerStreamByWrite": grpc.unary_stream_rpc_method_handler(
                self.server_stream_by_write, **codec
            ),
            "ClientStream": grpc.stream_unary_rpc_method_handler(
                self.client_stream, **codec
            ),
            "BothStreams": grpc.stream_stream_rpc_method_handler(
                self.both_streams, **codec
            ),
        }


@asynccontextmanager
async def probe_server(probe: Probe, metrics: Metrics) -> AsyncIterator[Any]:
    server = grpc.aio.server(interceptors=interceptors(metrics))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(SERVICE, probe.handlers())]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        await channel.close()
        await server.stop(0)


def _callable(channel: Any, kind: str, method: str) -> Any:
    return getattr(channel, kind)(
        f"/{SERVICE}/{method}",
        request_serializer=Text.SerializeToString,
        response_deserializer=Text.FromString,
    )


async def _call(channel: Any, method: str, how: str) -> list[str]:
    """Call ``method`` with one request saying ``how``; the texts received."""
    received: list[str] = []
    if method == "Unary":
        reply = await _callable(channel, "unary_unary", method)(Text(value=how))
        received.append(reply.value)
    elif method in ("ServerStream", "ServerStreamByWrite"):
        async for reply in _callable(channel, "unary_stream", method)(Text(value=how)):
            received.append(reply.value)
    elif method == "ClientStream":
        reply = await _callable(channel, "stream_unary", method)(
            iter([Text(value=how)])
        )
        received.append(reply.value)
    else:
        async for reply in _callable(channel, "stream_stream", method)(
            iter([Text(value=how)])
        ):
            received.append(reply.value)
    return received


METHODS = [
    "Unary",
    "ServerStream",
    "ServerStreamByWrite",
    "ClientStream",
    "BothStreams",
]


def _details(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    found: dict[str, Any] = {}
    for packed in status.details:
        for kind in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.PreconditionFailure,
            error_details_pb2.QuotaFailure,
            error_details_pb2.ResourceInfo,
            error_details_pb2.RequestInfo,
        ):
            if packed.Is(kind.DESCRIPTOR):
                detail = kind()
                packed.Unpack(detail)
                found[kind.DESCRIPTOR.name] = detail
    return found


@pytest.mark.parametrize("method", METHODS)
async def test_domain_error_becomes_its_code_with_every_detail(method: str) -> None:
    async with probe_server(Probe(), Metrics()) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await _call(channel, method, "domain")

    error = raised.value
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "used 2 of 2 this shift"
    details = _details(error)
    assert details["ErrorInfo"].reason == "LIMIT_REACHED"
    assert details["ErrorInfo"].domain == DOMAIN
    assert dict(details["ErrorInfo"].metadata) == {"status_type": "break"}
    assert [v.field for v in details["BadRequest"].field_violations] == [
        "status_type_id"
    ]
    violation = details["PreconditionFailure"].violations[0]
    assert (violation.type, violation.subject) == ("SHIFT", "agent/alice")
    assert details["QuotaFailure"].violations[0].subject == "agent/alice/break"
    resource = details["ResourceInfo"]
    assert (resource.resource_type, resource.resource_name) == ("status_type", "break")
    assert details["RequestInfo"].request_id


@pytest.mark.parametrize("method", METHODS)
async def test_unexpected_error_is_internal_without_the_traceback(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="presence_server.api.errors")

    async with probe_server(Probe(), Metrics()) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await _call(channel, method, "bug")

    error = raised.value
    assert error.code() is grpc.StatusCode.INTERNAL
    assert "secret" not in (error.details() or "")
    details = _details(error)
    request_id = details["RequestInfo"].request_id
    assert details["ErrorInfo"].reason == "INTERNAL"
    assert request_id in (error.details() or "")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "secret detail of a bug" in str(record.exc_info[1])
    assert getattr(record, "request_id", "") == request_id


async def test_streamed_messages_before_an_error_still_arrive() -> None:
    received: list[str] = []

    async def receive(call: Any) -> None:
        async for reply in call:
            received.append(reply.value)

    async with probe_server(Probe(), Metrics()) as channel:
        call = _callable(channel, "unary_stream", "ServerStream")(Text(value="domain"))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await receive(call)

    assert received == ["first"]
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_abort_made_by_a_handler_reaches_the_client_unchanged() -> None:
    async with probe_server(Probe(), Metrics()) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await _call(channel, "Unary", "abort")

    assert raised.value.code() is grpc.StatusCode.OUT_OF_RANGE
    assert raised.value.details() == "aborted by handler"


async def test_cancelled_call_cancels_the_handler_and_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probe, metrics = Probe(), Metrics()
    caplog.set_level(logging.ERROR)

    async with probe_server(probe, metrics) as channel:
        call = _callable(channel, "unary_unary", "Unary")(Text(value="hang"))
        await asyncio.wait_for(probe.started.wait(), 10)
        call.cancel()
        await asyncio.wait_for(probe.ended.wait(), 10)

    assert probe.seen == [asyncio.CancelledError]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    cancelled = metrics.registry.get_sample_value(
        "grpc_server_handled_total",
        {"grpc_service": SERVICE, "grpc_method": "Unary", "grpc_code": "CANCELLED"},
    )
    assert cancelled == 1


async def test_caller_request_id_is_used_in_the_error() -> None:
    async with probe_server(Probe(), Metrics()) as channel:
        call = _callable(channel, "unary_unary", "Unary")(
            Text(value="domain"), metadata=(("x-request-id", "req-42"),)
        )
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call

    assert _details(raised.value)["RequestInfo"].request_id == "req-42"


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.name)
def test_each_domain_code_maps_to_the_grpc_code_of_the_same_name(
    code: ErrorCode,
) -> None:
    assert grpc_code(code).name == code.name


def test_not_found_names_the_resource() -> None:
    status = rich_status(NotFound("status_type", "nap", reason="STATUS_TYPE_NOT_FOUND"))

    assert status.code == grpc.StatusCode.NOT_FOUND.value[0]
    info = error_details_pb2.ResourceInfo()
    assert any(d.Unpack(info) for d in status.details)
    assert (info.resource_type, info.resource_name) == ("status_type", "nap")
