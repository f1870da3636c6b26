"""Type-check only (mypy, never run): the client's public API keeps its types.

``tests/clients/test_public_api.py`` runs mypy on this file. Each
``assert_type`` fails when a type changes or decays to ``Any``; each
``# type: ignore[...]`` marks a misuse that must stay an error (mypy
reports an unused ignore when it stops being one).
"""

from __future__ import annotations

from typing import assert_type

from presence_client import (
    AgentSession,
    EtagMismatchError,
    PreconditionViolation,
    PresenceClient,
    PresenceError,
    QuotaExceededError,
    RetryPolicy,
    Snapshot,
    StaleRevisionError,
    Subscription,
)
from presence_client.messages import (
    ActivityKind,
    Agent,
    AgentStatus,
    PresenceChange,
    PresenceEvent,
    StatusRef,
    StatusType,
)


async def public_api() -> None:
    async with PresenceClient(
        "127.0.0.1:50051", retry=RetryPolicy(attempts=3)
    ) as client:
        change = await client.set_status(
            "alice", "break", reason="coffee", expected_revision=41, request_id="r-1"
        )
        assert_type(change, PresenceChange)
        assert_type(change.presence, AgentStatus)
        assert_type(change.presence.revision, int)
        assert_type(change.presence.upcoming_status, StatusRef)

        presence = await client.get_presence("alice")
        assert_type(presence, AgentStatus)
        listed = await client.list_presence(teams=["blue"], routable_only=True)
        assert_type(listed, list[AgentStatus])

        await client.start_activity("alice", ActivityKind.ACTIVITY_KIND_CALL, "c-1")
        await client.end_activity("alice", "c-1", wrap_up_seconds=30)
        await client.start_activity("alice", "call", "c-2")  # type: ignore[arg-type]
        await client.set_status("alice", "break", "coffee")  # type: ignore[call-arg]

        assert_type(await client.status_types.list(), list[StatusType])
        assert_type(await client.agents.get("alice"), Agent)

        subscription = client.subscribe(teams=["blue"], from_revision=7)
        assert_type(subscription, Subscription)
        assert_type(subscription.revision, int | None)
        async for item in subscription:
            if isinstance(item, Snapshot):
                assert_type(item.presences, tuple[AgentStatus, ...])
                assert_type(item.resync, bool)
            else:
                assert_type(item, PresenceEvent)

        session = client.session("alice", client_name="desktop")
        assert_type(session, AgentSession)
        async with session:
            assert_type(session.presence, AgentStatus | None)
            assert_type(await session.wait_connected(), AgentStatus)
            async for update in session.updates():
                assert_type(update, AgentStatus)

        try:
            await client.set_status("alice", "break")
        except QuotaExceededError as error:
            assert_type(error.used, int | None)
            assert_type(error.limit, int | None)
        except StaleRevisionError as error:
            assert_type(error.current_revision, int | None)
            assert_type(error.violations, tuple[PreconditionViolation, ...])
        except EtagMismatchError as error:
            assert_type(error.current_etag, str)
        except PresenceError as error:
            assert_type(error.reason, str)
