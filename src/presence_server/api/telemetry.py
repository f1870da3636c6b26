"""Request ids, metrics and a debug line for every RPC.

``TelemetryInterceptor`` must be the outermost interceptor so it sees the
final status code, after ``ErrorInterceptor`` has translated exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc

from presence_server.observability.logs import request_id
from presence_server.observability.metrics import Metrics

from ._wrapping import wrap_handler

logger = logging.getLogger(__name__)

# A caller may name its request (to find it in our logs) with this header.
REQUEST_ID_HEADER = "x-request-id"
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def split_method(full_method: str) -> tuple[str, str]:
    """``/presence.v1.AgentService/GetAgent`` -> (service, method)."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service, method


def _incoming_request_id(context: Any) -> str:
    for key, value in context.invocation_metadata() or ():
        if key != REQUEST_ID_HEADER or not isinstance(value, str):
            continue
        if _GOOD_REQUEST_ID.fullmatch(value):
            return value
    return secrets.token_hex(8)


def _final_code(context: Any) -> grpc.StatusCode:
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.OK


class TelemetryInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Gives each RPC a request id, counts and times it, tracks open streams.

    The request id is the caller's ``x-request-id`` header when it is a
    short plain token, a random one otherwise; it is set in
    ``presence_server.observability.logs.request_id`` for the whole call.
    """

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        return wrap_handler(handler, handler_call_details.method, self._observe)

    @asynccontextmanager
    async def _observe(
        self, context: Any, full_method: str, streaming: bool
    ) -> AsyncIterator[None]:
        # Each RPC runs in its own task, so this does not leak between calls.
        request_id.set(_incoming_request_id(context))
        service, method = split_method(full_method)
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN
        if streaming:
            self._metrics.open_streams.labels(service, method).inc()
        try:
            yield
            code = _final_code(context)
        except (asyncio.CancelledError, GeneratorExit):
            # The client went away, or the server is stopping: a stream's
            # generator is closed (GeneratorExit), a call's task cancelled.
            code = grpc.StatusCode.CANCELLED
            raise
        except grpc.aio.AbortError:
            code = _final_code(context)
            raise
        finally:
            elapsed = time.perf_counter() - started
            if streaming:
                self._metrics.open_streams.labels(service, method).dec()
            self._metrics.handled.labels(service, method, code.name).inc()
            self._metrics.handling_seconds.labels(service, method).observe(elapsed)
            logger.debug("%s %s in %.1f ms", full_method, code.name, elapsed * 1000.0)
