"""Python client for presence-server.

::

    from presence_client import PresenceClient, QuotaExceededError

    async with PresenceClient("127.0.0.1:50051") as client:
        try:
            change = await client.set_status("alice", "break")
        except QuotaExceededError as error:
            print(f"{error.message} ({error.used} of {error.limit})")

What is here:

- :class:`PresenceClient`: every RPC as a typed ``async`` method; the
  state-changing presence calls make a request id and retry transient
  failures with it (:class:`RetryPolicy`).
- :meth:`PresenceClient.subscribe`: a :class:`Subscription` to live
  presence that reconnects and resumes by itself.
- :meth:`PresenceClient.session`: an :class:`AgentSession` that keeps an
  agent connected across network blips and server restarts.
- :mod:`presence_client.errors`: a typed error per failure, rebuilt from
  the server's ``google.rpc`` details.
- :mod:`presence_client.messages`: the API's messages and enums.
- :func:`tls_credentials`: ``credentials=`` for TLS and mutual TLS, from
  PEM files.
"""

from __future__ import annotations

from .client import DEFAULT_ADDRESS, PresenceClient, new_request_id, presence_filter
from .errors import (
    AlreadyExistsError,
    CallCancelledError,
    ConflictError,
    DeadlineExceededError,
    EtagMismatchError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    PreconditionViolation,
    PresenceError,
    QuotaExceededError,
    QuotaViolation,
    Resource,
    StaleRevisionError,
    UnauthenticatedError,
    UnavailableError,
    from_rpc_error,
    is_transient,
)
from .retry import Backoff, OnConnect, OnRetry, RetryPolicy
from .session import AgentSession, SessionClosedError, SessionUpdates
from .subscribe import Snapshot, Subscription, SubscriptionItem
from .tls import tls_credentials

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ADDRESS",
    "AgentSession",
    "AlreadyExistsError",
    "Backoff",
    "CallCancelledError",
    "ConflictError",
    "DeadlineExceededError",
    "EtagMismatchError",
    "FieldViolation",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OnConnect",
    "OnRetry",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "PreconditionViolation",
    "PresenceClient",
    "PresenceError",
    "QuotaExceededError",
    "QuotaViolation",
    "Resource",
    "RetryPolicy",
    "SessionClosedError",
    "SessionUpdates",
    "Snapshot",
    "StaleRevisionError",
    "Subscription",
    "SubscriptionItem",
    "UnauthenticatedError",
    "UnavailableError",
    "__version__",
    "from_rpc_error",
    "is_transient",
    "new_request_id",
    "presence_filter",
    "tls_credentials",
]
