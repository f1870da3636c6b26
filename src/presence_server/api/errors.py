"""Domain errors to gRPC statuses: the one place where that happens.

Servicers and everything below them raise ``PresenceError`` subclasses.
``ErrorInterceptor`` catches them around every RPC and answers with the
error's code and message, plus a ``google.rpc.Status`` in the trailers whose
details a client decodes with ``grpc_status.rpc_status.from_call``:

- ``ErrorInfo`` always: the stable ``reason``, domain ``presence.v1``, and
  the error's metadata;
- ``BadRequest`` / ``PreconditionFailure`` / ``QuotaFailure`` /
  ``ResourceInfo`` / ``RetryInfo`` when the error carries such facts;
- ``RequestInfo`` with the request id, the key to the server's logs.

Anything else a handler raises is a bug: the client gets INTERNAL with a
generic message and the request id, the traceback goes to the log at ERROR
and never to the client. ``asyncio.CancelledError`` (the client went away or
the server is stopping) passes through untouched, and so does an abort a
handler made itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from presence_server.domain.errors import ErrorCode, PresenceError
from presence_server.observability.logs import request_id

from ._wrapping import wrap_handler

logger = logging.getLogger(__name__)

DOMAIN = "presence.v1"
INTERNAL_REASON = "INTERNAL"

_GRPC_CODES: dict[ErrorCode, grpc.StatusCode] = {
    code: grpc.StatusCode[code.name] for code in ErrorCode
}


def grpc_code(code: ErrorCode) -> grpc.StatusCode:
    """The gRPC status code of a domain error code (same name)."""
    return _GRPC_CODES[code]


def _pack(detail: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


def _details(error: PresenceError) -> list[Message]:
    details: list[Message] = [
        error_details_pb2.ErrorInfo(
            reason=error.reason, domain=DOMAIN, metadata=error.metadata
        )
    ]
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in error.field_violations
                ]
            )
        )
    if error.precondition_violations:
        details.append(
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=v.type, subject=v.subject, description=v.description
                    )
                    for v in error.precondition_violations
                ]
            )
        )
    if error.quota_violations:
        details.append(
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=v.subject, description=v.description
                    )
                    for v in error.quota_violations
                ]
            )
        )
    if error.retry_after is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromTimedelta(timedelta(seconds=error.retry_after))
        details.append(retry)
    if error.resource is not None:
        resource_type, resource_name = error.resource
        details.append(
            error_details_pb2.ResourceInfo(
                resource_type=resource_type,
                resource_name=resource_name,
                description=error.message,
            )
        )
    return details


def _request_info(request: str) -> list[Message]:
    return [error_details_pb2.RequestInfo(request_id=request)] if request else []


def rich_status(error: PresenceError, request: str = "") -> status_pb2.Status:
    """The ``google.rpc.Status`` a client receives for ``error``."""
    return status_pb2.Status(
        code=grpc_code(error.code).value[0],
        message=error.message,
        details=[_pack(d) for d in _details(error) + _request_info(request)],
    )


def internal_status(request: str) -> status_pb2.Status:
    """What a client receives when the server fails unexpectedly."""
    message = "internal error; the server log has the details"
    if request:
        message += f" under request id {request}"
    details: list[Message] = [
        error_details_pb2.ErrorInfo(
            reason=INTERNAL_REASON, domain=DOMAIN, metadata={"request_id": request}
        ),
        *_request_info(request),
    ]
    return status_pb2.Status(
        code=code_pb2.INTERNAL, message=message, details=[_pack(d) for d in details]
    )


@asynccontextmanager
async def _translate(context: Any, method: str, streaming: bool) -> AsyncIterator[None]:
    try:
        yield
    except PresenceError as error:
        logger.debug("%s refused: %s %s", method, error.reason, error.message)
        await context.abort_with_status(
            rpc_status.to_status(rich_status(error, request_id.get()))
        )
    except grpc.aio.AbortError:
        # The handler aborted the call itself; the status is already set.
        raise
    except Exception:
        request = request_id.get()
        logger.exception(
            "unexpected error in %s", method, extra={"request_id": request}
        )
        await context.abort_with_status(rpc_status.to_status(internal_status(request)))


class ErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Translates exceptions of every RPC, whatever its kind (see module doc)."""

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        return wrap_handler(handler, handler_call_details.method, _translate)
