"""The channel and one way to make a call: deadline, metadata, retry, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import grpc
from google.protobuf.message import Message

from .errors import from_rpc_error
from .retry import RetryPolicy

logger = logging.getLogger(__name__)

_R = TypeVar("_R", bound=Message)

# The header the server takes its log's request id from.
REQUEST_ID_HEADER = "x-request-id"

# Channel options of every client, each on purpose:
DEFAULT_OPTIONS: tuple[tuple[str, int], ...] = (
    # Ping an idle connection every 10 s (the server accepts pings that often)
    # so that a dead server or a dropped NAT mapping is noticed in seconds.
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Reconnect quickly after a server restart: an agent's session must come
    # back well within the server's grace period (30 s by default).
    # (Not grpc.min_reconnect_backoff_ms: gRPC takes it as the connect timeout.)
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
)


class Rpc:
    """A lazily opened ``grpc.aio`` channel and the call helpers built on it.

    The channel is created on first use, inside the running event loop.
    """

    def __init__(
        self,
        address: str,
        *,
        credentials: grpc.ChannelCredentials | None,
        timeout: float | None,
        metadata: Sequence[tuple[str, str]],
        retry: RetryPolicy,
        options: Sequence[tuple[str, Any]],
        interceptors: Sequence[Any],
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.metadata = tuple(metadata)
        self.retry = retry
        self._credentials = credentials
        self._options = [*DEFAULT_OPTIONS, *options]
        self._interceptors = list(interceptors)
        self._channel: grpc.aio.Channel | None = None
        self._stubs: dict[Callable[[grpc.aio.Channel], Any], Any] = {}

    @property
    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            if self._credentials is None:
                # Known limitation: plaintext unless credentials are given; the
                # server does not offer TLS or authentication yet.
                self._channel = grpc.aio.insecure_channel(
                    self.address,
                    options=self._options,
                    interceptors=self._interceptors or None,
                )
            else:
                self._channel = grpc.aio.secure_channel(
                    self.address,
                    self._credentials,
                    options=self._options,
                    interceptors=self._interceptors or None,
                )
        return self._channel

    def stub(self, factory: Callable[[grpc.aio.Channel], Any]) -> Any:
        """The stub ``factory`` makes on this channel, made once per channel."""
        channel = self.channel
        found = self._stubs.get(factory)
        if found is None:
            found = self._stubs[factory] = factory(channel)
        return found

    async def close(self) -> None:
        if self._channel is not None:
            channel, self._channel = self._channel, None
            self._stubs.clear()
            await channel.close()

    async def unary(
        self,
        method: Any,
        request: Message,
        returns: type[_R],
        *,
        retry: bool,
        request_id: str = "",
    ) -> _R:
        """Call ``method(request)``; typed errors, retried when ``retry``.

        A retried call is sent again unchanged (same request id), each try
        with its own deadline. ``request_id`` also goes in the
        ``x-request-id`` header, under which the server logs the call.
        """
        name = type(request).__name__.removesuffix("Request")
        metadata = self.metadata
        if request_id:
            metadata = (*metadata, (REQUEST_ID_HEADER, request_id))
        if not retry:
            return await self._once(method, request, returns, metadata)
        async for attempt in self.retry.retrying(name):
            with attempt:
                return await self._once(method, request, returns, metadata)
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def _once(
        self,
        method: Any,
        request: Message,
        returns: type[_R],
        metadata: tuple[tuple[str, str], ...],
    ) -> _R:
        try:
            response = await method(
                request, timeout=self.timeout, metadata=metadata or None
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return cast(_R, response)
