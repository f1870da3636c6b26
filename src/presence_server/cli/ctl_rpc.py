"""How ``presencectl`` talks to a server: the Python client, errors in words.

The CLI is a client like any other: it calls the server through the
``presence_client`` package and never imports the server's own modules. A
failed call is reported here as one ``error:`` line on stderr followed by
the ``google.rpc`` details the server attached, and the command exits with
code 1.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, TypeVar

import grpc
import typer
from google.rpc import error_details_pb2
from presence_client import (
    PresenceClient,
    PresenceError,
    RetryPolicy,
    tls_credentials,
)

logger = logging.getLogger(__name__)

DEFAULT_SERVER = "127.0.0.1:50051"
DEFAULT_TIMEOUT = 10.0

EXIT_FAILURE = 1

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class CtlSettings:
    """The global options, shared by every command through ``ctx.obj``."""

    server: str = DEFAULT_SERVER
    json_output: bool = False
    timeout: float = DEFAULT_TIMEOUT
    tls: TlsFiles | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """PEM files for TLS (``ca``) and mutual TLS (``cert`` and ``key``)."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None


# ``--json`` is also accepted after the command, where people tend to type it.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def settings_of(ctx: typer.Context, json_output: bool = False) -> CtlSettings:
    """The global options, with a command's own ``--json`` folded in."""
    settings = ctx.find_object(CtlSettings) or CtlSettings()
    if json_output and not settings.json_output:
        settings = replace(settings, json_output=True)
    return settings


class Connection:
    """A :class:`PresenceClient` for the span of one command.

    Use as a context manager; :meth:`call` runs one client call to its end
    and turns any failure into an error report and ``typer.Exit(1)``, so
    commands only handle the happy path::

        with Connection(settings) as conn:
            agent = conn.call(conn.client.agents.get(agent_id))

    Commands are synchronous: the calls run one after the other on an event
    loop the connection owns. Nothing is retried: a person at a terminal
    wants the failure at once, and can run the command again.
    """

    def __init__(self, settings: CtlSettings) -> None:
        self._settings = settings
        self._runner: asyncio.Runner | None = None
        self._client: PresenceClient | None = None

    def __enter__(self) -> Connection:
        self._runner = asyncio.Runner()
        self._client = PresenceClient(
            self._settings.server,
            timeout=self._settings.timeout,
            retry=RetryPolicy.never(),
            credentials=_credentials(self._settings.tls),
            token=self._settings.token,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        runner, self._runner = self._runner, None
        client, self._client = self._client, None
        if runner is None:
            return
        try:
            if client is not None:
                runner.run(client.close())
        finally:
            runner.close()

    @property
    def client(self) -> PresenceClient:
        """The client; its calls are run with :meth:`call`."""
        if self._client is None:
            raise RuntimeError("Connection used outside its 'with' block")
        return self._client

    def call(self, call: Coroutine[Any, Any, _T]) -> _T:
        """Run one client call; on failure report it and exit with code 1."""
        if self._runner is None:
            call.close()
            raise RuntimeError("Connection used outside its 'with' block")
        try:
            return self._runner.run(call)
        except PresenceError as error:
            for line in describe_error(error, self._settings):
                typer.echo(line, err=True)
            raise typer.Exit(EXIT_FAILURE) from None


def _credentials(tls: TlsFiles | None) -> grpc.ChannelCredentials | None:
    if tls is None:
        return None
    return tls_credentials(tls.ca, tls.cert, tls.key)


def describe_error(error: PresenceError, settings: CtlSettings) -> list[str]:
    """The lines that tell a person what went wrong with a call.

    The first line is ``error: CODE: message``; the details the server put in
    ``grpc-status-details-bin`` follow, indented, one fact per line. A
    transport failure (nothing answered) gets its own wording, since the code
    alone (UNAVAILABLE, DEADLINE_EXCEEDED) would not say what to do.
    """
    code = error.code
    message = error.message

    # A server that answers always attaches details to its own errors; a bare
    # UNAVAILABLE comes from the client's transport.
    if code is grpc.StatusCode.UNAVAILABLE and error.status is None:
        logger.debug("transport failure to %s: %s", settings.server, message)
        return [
            f"error: cannot reach presence-server at {settings.server} "
            + _unreachable_hint(message),
            f"  transport: {message}",
        ]
    if code is grpc.StatusCode.DEADLINE_EXCEEDED and error.status is None:
        return [
            f"error: presence-server at {settings.server} did not answer within "
            f"{settings.timeout:g}s (raise --timeout, or check the server)"
        ]

    lines = [f"error: {code.name}: {message}"]
    # What to fix first (fields, preconditions, quotas), then ids.
    for detail in sorted(error.details, key=_detail_rank):
        lines.extend(_describe_detail(detail))
    return lines


_TLS_HINT = "if it serves TLS, pass --tls-ca (and --tls-cert/--tls-key for mutual TLS)"


def _unreachable_hint(transport: str) -> str:
    # grpc's wording tells a refused connection (nothing listening) from one
    # closed during setup (a TLS server met in plaintext, or an mTLS server
    # met without a client certificate) and from a failed TLS handshake (a
    # plaintext server met over TLS, or a CA that does not match).
    lowered = transport.lower()
    if "handshake" in lowered or "ssl" in lowered:
        return (
            f"(the TLS handshake failed); {_TLS_HINT}, with the CA that signed "
            "its certificate; if it serves plaintext, leave the --tls options out"
        )
    if "socket closed" in lowered:
        return f"(it closed the connection while it was being set up); {_TLS_HINT}"
    return "(is it running?)"


_ACTIONABLE = (
    error_details_pb2.BadRequest.DESCRIPTOR,
    error_details_pb2.PreconditionFailure.DESCRIPTOR,
    error_details_pb2.QuotaFailure.DESCRIPTOR,
)


def _detail_rank(detail: Any) -> int:
    return 0 if any(detail.Is(d) for d in _ACTIONABLE) else 1


def _describe_detail(detail: Any) -> list[str]:
    """One ``google.rpc`` detail as indented readable lines."""
    for message_type, describe in _DESCRIBERS:
        if detail.Is(message_type.DESCRIPTOR):
            message = message_type()
            detail.Unpack(message)
            return describe(message)
    return [f"  (detail of type {detail.type_url})"]


def _error_info(info: Any) -> list[str]:
    facts = ", ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))
    return [f"  reason: {info.reason}" + (f" ({facts})" if facts else "")]


def _retry_info(retry: Any) -> list[str]:
    return [f"  retry after {retry.retry_delay.ToTimedelta().total_seconds():g}s"]


# Each detail type the server may send, and how a person reads it.
_DESCRIBERS: tuple[tuple[Any, Callable[[Any], list[str]]], ...] = (
    (
        error_details_pb2.BadRequest,
        lambda m: [f"  {v.field}: {v.description}" for v in m.field_violations],
    ),
    (
        error_details_pb2.PreconditionFailure,
        lambda m: [
            f"  precondition {v.type} on {v.subject}: {v.description}"
            for v in m.violations
        ],
    ),
    (
        error_details_pb2.QuotaFailure,
        lambda m: [f"  quota {v.subject}: {v.description}" for v in m.violations],
    ),
    (error_details_pb2.ErrorInfo, _error_info),
    (
        error_details_pb2.ResourceInfo,
        lambda m: [f"  resource: {m.resource_type} {m.resource_name!r}"],
    ),
    (error_details_pb2.RequestInfo, lambda m: [f"  request id: {m.request_id}"]),
    (error_details_pb2.RetryInfo, _retry_info),
    (
        error_details_pb2.Help,
        lambda m: [f"  see {link.url} ({link.description})" for link in m.links],
    ),
    (error_details_pb2.LocalizedMessage, lambda m: [f"  {m.message}"]),
)
