"""Run every kind of RPC handler inside an async context manager.

Server interceptors (errors, metrics) need to see an RPC start and end, and
the exception it ends with, whatever its shape: unary or streaming request,
unary or streaming response, and for streaming responses both styles grpc.aio
accepts (an async generator, or a coroutine calling ``context.write``).
``wrap_handler`` gives each interceptor that in one place.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

# Called once per RPC with (context, full method name, is_streaming); the
# handler runs inside the returned context manager.
Scope = Callable[[Any, str, bool], AbstractAsyncContextManager[None]]


# Known limitation: a synchronous handler, once wrapped, runs on the event
# loop instead of grpc's thread pool. Every servicer here is async; a
# blocking one would have to be made async (or use asyncio.to_thread).
async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


# Like ``Scope``, with the request too: (request, context, method, streaming).
# A client-streaming RPC's requests arrive later, so its scope gets ``None``.
RequestScope = Callable[[Any, Any, str, bool], AbstractAsyncContextManager[None]]


def _unary_response(
    behavior: Any, method: str, scope: RequestScope, client_streaming: bool
) -> Any:
    async def run(request: Any, context: Any) -> Any:
        seen = None if client_streaming else request
        async with scope(seen, context, method, client_streaming):
            return await _maybe_await(behavior(request, context))

    return run


def _stream_response(
    behavior: Any, method: str, scope: RequestScope, client_streaming: bool
) -> Any:
    if inspect.isasyncgenfunction(behavior):

        async def generate(request: Any, context: Any) -> AsyncIterator[Any]:
            seen = None if client_streaming else request
            async with scope(seen, context, method, True):
                async for response in behavior(request, context):
                    yield response

        return generate

    async def write(request: Any, context: Any) -> None:
        # The handler sends with context.write() and returns nothing.
        seen = None if client_streaming else request
        async with scope(seen, context, method, True):
            await _maybe_await(behavior(request, context))

    return write


def wrap_handler(handler: Any, method: str, scope: Scope) -> Any:
    """A copy of ``handler`` (a ``grpc.RpcMethodHandler``) running in ``scope``.

    ``None`` (an unknown method) is returned as is, so grpc answers
    UNIMPLEMENTED the usual way.
    """

    def without_request(_request: Any, context: Any, name: str, streaming: bool) -> Any:
        return scope(context, name, streaming)

    return wrap_request_handler(handler, method, without_request)


def wrap_request_handler(handler: Any, method: str, scope: RequestScope) -> Any:
    """Like ``wrap_handler``, for a scope that reads the request first."""
    if handler is None:
        return None
    serializers = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _unary_response(handler.unary_unary, method, scope, False), **serializers
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _unary_response(handler.stream_unary, method, scope, True), **serializers
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _stream_response(handler.unary_stream, method, scope, False),
            **serializers,
        )
    return grpc.stream_stream_rpc_method_handler(
        _stream_response(handler.stream_stream, method, scope, True), **serializers
    )
