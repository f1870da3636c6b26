"""Per-identity limits: the token bucket (stepped clock, no sleeps), the stream cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import presence_pb2, status_types_pb2
from presence_server.domain.errors import QuotaExceeded
from presence_server.engine.clock import ManualClock
from presence_server.security.limits import RateLimiter, StreamCap
from tests.conftest import START
from tests.helpers.server import RunningServer, poll_until, running_server
from tests.security.conftest import auth_settings, bearer, mint


class Ticker:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_calls_wait_for_the_rate() -> None:
    ticker = Ticker()
    limiter = RateLimiter(rate=2, burst=3, monotonic=ticker)
    for _ in range(3):
        limiter.take("jwt:ann")

    with pytest.raises(QuotaExceeded) as exceeded:
        limiter.take("jwt:ann")

    assert exceeded.value.reason == "RATE_LIMITED"
    assert exceeded.value.retry_after == pytest.approx(0.5)
    assert "retry in 500 ms" in exceeded.value.message
    ticker.now += 0.5
    limiter.take("jwt:ann")


def test_identities_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(rate=1, burst=1, monotonic=Ticker())
    limiter.take("jwt:ann")

    limiter.take("jwt:bob")
    with pytest.raises(QuotaExceeded):
        limiter.take("jwt:ann")


def test_idle_buckets_are_dropped_once_a_refill_period_has_passed() -> None:
    ticker = Ticker()
    limiter = RateLimiter(rate=10, burst=20, monotonic=ticker)  # full in 2 s
    for number in range(1100):
        limiter.take(f"jwt:agent-{number}")

    # Within the refill period nothing is full again, so nothing goes.
    ticker.now += 1.0
    limiter.take("jwt:busy")
    within = limiter.tracked
    # Past it, the next call drops every bucket that is full again.
    ticker.now += 2.0
    limiter.take("jwt:busy")

    assert within == 1101
    assert limiter.tracked == 1


def test_a_bucket_refills_no_higher_than_the_burst() -> None:
    ticker = Ticker()
    limiter = RateLimiter(rate=10, burst=2, monotonic=ticker)
    ticker.now += 3600

    limiter.take("k")
    limiter.take("k")
    with pytest.raises(QuotaExceeded):
        limiter.take("k")


def test_the_stream_cap_counts_per_identity_and_releases() -> None:
    cap = StreamCap(limit=2)
    cap.acquire("jwt:ann")
    cap.acquire("jwt:ann")

    with pytest.raises(QuotaExceeded) as exceeded:
        cap.acquire("jwt:ann")
    cap.acquire("jwt:bob")
    cap.release("jwt:ann")
    cap.acquire("jwt:ann")

    assert exceeded.value.reason == "TOO_MANY_STREAMS"
    assert cap.open_streams("jwt:ann") == 2


async def test_the_server_answers_resource_exhausted_with_retry_info(
    sqlite_url: str, tmp_path: Path
) -> None:
    ticker = Ticker()
    settings = auth_settings(tmp_path, auth_rate_per_second=1, auth_rate_burst=1)
    token = bearer(mint(sub="root", role="admin"))
    request = presence_pb2.StartShiftRequest(agent_id="ann", request_id="r1")
    async with running_server(
        sqlite_url,
        tmp_path / "data",
        clock=ManualClock(START),
        monotonic=ticker,
        **settings,
    ) as server:
        first = await _code(server.presence.StartShift(request, metadata=token))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await server.presence.StartShift(request, metadata=token)
        # Reads are not rate limited.
        await server.status_types.ListStatusTypes(
            status_types_pb2.ListStatusTypesRequest(), metadata=token
        )
        ticker.now += 1.0
        after_a_second = await _code(
            server.presence.StartShift(request, metadata=token)
        )

    assert first is not grpc.StatusCode.RESOURCE_EXHAUSTED
    assert after_a_second is not grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "retry in" in (refused.value.details() or "")
    status = rpc_status.from_call(refused.value)
    assert status is not None
    kinds = {d.type_url.rpartition(".")[2] for d in status.details}
    assert {"ErrorInfo", "QuotaFailure", "RetryInfo"} <= kinds


async def _code(call: Any) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_the_server_caps_open_streams_per_identity(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = auth_settings(tmp_path, auth_max_streams_per_identity=2)
    token = bearer(mint(sub="wall", role="subscriber"))
    other = bearer(mint(sub="wall-2", role="subscriber"))
    request = presence_pb2.SubscribePresenceRequest(include_snapshot=True)
    async with running_server(
        sqlite_url, tmp_path / "data", clock=ManualClock(START), **settings
    ) as server:
        open_calls = [server.presence.SubscribePresence(request, metadata=token)]
        open_calls.append(server.presence.SubscribePresence(request, metadata=token))
        for call in open_calls:
            await call.read()

        third = server.presence.SubscribePresence(request, metadata=token)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await third.read()
        elsewhere = server.presence.SubscribePresence(request, metadata=other)
        await elsewhere.read()
        # Ending a stream frees its place (once the server has noticed).
        open_calls[0].cancel()
        again = await _first_stream_admitted(server, token, request)
        for call in (*open_calls, elsewhere, again):
            call.cancel()

    assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "close one first" in (refused.value.details() or "")


async def _first_stream_admitted(
    server: RunningServer,
    token: tuple[tuple[str, str]],
    request: presence_pb2.SubscribePresenceRequest,
) -> Any:
    admitted: list[Any] = []

    async def admitted_now() -> bool:
        call = server.presence.SubscribePresence(request, metadata=token)
        code = await _code(call.read())
        if code is grpc.StatusCode.OK:
            admitted.append(call)
            return True
        assert code is grpc.StatusCode.RESOURCE_EXHAUSTED
        return False

    await poll_until(admitted_now, what="a stream place freed by a cancel")
    return admitted[0]
