"""Domain errors: what went wrong, in words a person can act on.

The engine and the catalog raise these; the API layer alone turns them into
gRPC statuses with ``google.rpc`` details. Each error carries a stable
``reason`` id (``STATUS_TYPE_NOT_FOUND``) that clients may branch on; the
message is for people and may change.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class ErrorCode(enum.Enum):
    """The gRPC code an error maps to, named without importing grpc."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request (``google.rpc.BadRequest``)."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    """One unmet precondition (``google.rpc.PreconditionFailure``).

    ``type`` is a short id of the kind of precondition (``ETAG``,
    ``BUILT_IN``, ``SHIFT``), ``subject`` what it is about (``status_type/break``).
    """

    type: str
    subject: str
    description: str


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One exhausted quota (``google.rpc.QuotaFailure``)."""

    subject: str
    description: str


class PresenceError(Exception):
    """Base of every error a client may see.

    Args:
        message: what happened and what to do about it, for a person.
        reason: stable upper-case id, also sent as ``google.rpc.ErrorInfo``.
        metadata: small string facts for ``ErrorInfo.metadata``.
        retry_after: seconds after which a retry may succeed
            (``google.rpc.RetryInfo``).
    """

    code: ErrorCode = ErrorCode.FAILED_PRECONDITION

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
        precondition_violations: Sequence[PreconditionViolation] = (),
        quota_violations: Sequence[QuotaViolation] = (),
        resource: tuple[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.field_violations = tuple(field_violations)
        self.precondition_violations = tuple(precondition_violations)
        self.quota_violations = tuple(quota_violations)
        self.resource = resource
        self.retry_after = retry_after


class InvalidArgument(PresenceError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""

    code = ErrorCode.INVALID_ARGUMENT

    def __init__(
        self,
        violations: Sequence[FieldViolation],
        *,
        reason: str = "INVALID_ARGUMENT",
        message: str | None = None,
    ) -> None:
        text = message or "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(text, reason=reason, field_violations=violations)


class NotFound(PresenceError):
    """The named resource does not exist."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, resource_type: str, name: str, *, reason: str) -> None:
        super().__init__(
            f"{resource_type.replace('_', ' ')} {name!r} does not exist",
            reason=reason,
            metadata={resource_type: name},
            resource=(resource_type, name),
        )


def session_gone(session_id: str) -> NotFound:
    """A session that does not exist, has ended, or is not the caller's.

    One answer for the three, so that a caller cannot learn from it that
    another agent's session exists.
    """
    error = NotFound("session", session_id, reason="SESSION_NOT_FOUND")
    error.message = (
        f"session {session_id!r} does not exist or has ended; open a new session"
    )
    error.args = (error.message,)
    return error


class AlreadyExists(PresenceError):
    """A resource with the same identity or unique name exists."""

    code = ErrorCode.ALREADY_EXISTS


class FailedPrecondition(PresenceError):
    """The system is not in a state where the request can be carried out."""

    code = ErrorCode.FAILED_PRECONDITION


class Aborted(PresenceError):
    """A concurrency conflict (stale etag or revision): read again, retry."""

    code = ErrorCode.ABORTED


class QuotaExceeded(PresenceError):
    """A per-shift limit or a rate limit is used up."""

    code = ErrorCode.RESOURCE_EXHAUSTED


class PermissionDenied(PresenceError):
    """The caller is known but not allowed to do this."""

    code = ErrorCode.PERMISSION_DENIED


class Unauthenticated(PresenceError):
    """The caller could not be identified."""

    code = ErrorCode.UNAUTHENTICATED


def stale_etag(resource_type: str, name: str, given: str, current: str) -> Aborted:
    """The error for an update that names a version that is no longer current."""
    subject = f"{resource_type}/{name}"
    return Aborted(
        f"{resource_type.replace('_', ' ')} {name!r} was changed by someone else "
        f"(etag {given!r}, now {current!r}); read it again and retry",
        reason="ETAG_MISMATCH",
        metadata={"current_etag": current},
        precondition_violations=[
            PreconditionViolation(
                "ETAG", subject, f"etag is {current!r}, not {given!r}"
            )
        ],
        resource=(resource_type, name),
    )
