"""Typed errors, rebuilt from the ``google.rpc.Status`` the server attaches.

Every failed call raises a :class:`PresenceError` subclass. The server puts a
``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer; its details
become attributes here:

- ``ErrorInfo``: :attr:`PresenceError.reason` (a stable id such as
  ``STATUS_LIMIT_REACHED``, safe to branch on) and
  :attr:`PresenceError.metadata`;
- ``BadRequest``: :attr:`PresenceError.field_violations`;
- ``PreconditionFailure``: :attr:`PresenceError.precondition_violations`;
- ``QuotaFailure``: :attr:`PresenceError.quota_violations`;
- ``ResourceInfo``: :attr:`PresenceError.resource`;
- ``RequestInfo``: :attr:`PresenceError.request_id`, the key to the
  server's log.

The class is chosen by the reason first (``REVISION_MISMATCH`` is a
:class:`StaleRevisionError`), then by the gRPC code. A failure the client's
own transport reports (server unreachable, deadline passed) has no rich
status: :attr:`PresenceError.status` is ``None`` and only the code and the
message are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "AlreadyExistsError",
    "CallCancelledError",
    "ConflictError",
    "DeadlineExceededError",
    "EtagMismatchError",
    "FieldViolation",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "PreconditionViolation",
    "PresenceError",
    "QuotaExceededError",
    "QuotaViolation",
    "Resource",
    "StaleRevisionError",
    "UnauthenticatedError",
    "UnavailableError",
    "from_rpc_error",
    "is_transient",
]

STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request: ``field`` is a path like ``agent.team``."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    """One unmet precondition.

    ``type`` names the kind (``ETAG``, ``REVISION``, ``SHIFT``, ``BUILT_IN``),
    ``subject`` what it is about (``agent/alice``).
    """

    type: str
    subject: str
    description: str


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One used-up quota: ``subject`` names it (``agent/alice/status/break``)."""

    subject: str
    description: str


@dataclass(frozen=True, slots=True)
class Resource:
    """The resource an error is about (``status_type``, ``break``)."""

    type: str
    name: str
    description: str = ""


class PresenceError(Exception):
    """A call failed. Base of every error this package raises for a call.

    Attributes:
        code: the gRPC status code.
        message: what happened, for a person (may change between versions).
        reason: the stable ``ErrorInfo`` reason, or ``""`` when the server
            sent none (a transport failure).
        metadata: small string facts from ``ErrorInfo`` (``current_etag``).
        request_id: the server's id for the request, for its log.
        status: the whole ``google.rpc.Status``, or ``None``.
        rpc_error: the ``grpc.RpcError`` it was made from, or ``None``. Kept
            here rather than chained, so a traceback shows only this error.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
        precondition_violations: Sequence[PreconditionViolation] = (),
        quota_violations: Sequence[QuotaViolation] = (),
        resource: Resource | None = None,
        request_id: str = "",
        status: status_pb2.Status | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata: Mapping[str, str] = MappingProxyType(dict(metadata or {}))
        self.field_violations = tuple(field_violations)
        self.precondition_violations = tuple(precondition_violations)
        self.quota_violations = tuple(quota_violations)
        self.resource = resource
        self.request_id = request_id
        self.status = status
        self.rpc_error: grpc.RpcError | None = None

    @property
    def details(self) -> tuple[any_pb2.Any, ...]:
        """Every detail the server attached, packed, in the order it sent them."""
        return tuple(self.status.details) if self.status is not None else ()


class InvalidArgumentError(PresenceError):
    """The request is wrong; see :attr:`field_violations`. Do not retry as is."""


class NotFoundError(PresenceError):
    """The named agent, status type or session does not exist."""


class AlreadyExistsError(PresenceError):
    """An agent or status type with that id or name exists already."""


class PreconditionFailedError(PresenceError):
    """The server's state does not allow this now (see :attr:`violations`).

    For example: ending a shift during a call, or archiving a built-in type.
    """

    @property
    def violations(self) -> tuple[PreconditionViolation, ...]:
        return self.precondition_violations


class ConflictError(PresenceError):
    """Someone else changed the resource first (``ABORTED``): read, then retry."""

    @property
    def violations(self) -> tuple[PreconditionViolation, ...]:
        return self.precondition_violations


class StaleRevisionError(ConflictError):
    """``expected_revision`` was not the agent's revision any more."""

    @property
    def current_revision(self) -> int | None:
        """The agent's revision when the server refused, when it said."""
        return _int(self.metadata.get("current_revision"))


class EtagMismatchError(ConflictError):
    """The etag sent with an update or archive is not the stored one."""

    @property
    def current_etag(self) -> str:
        return self.metadata.get("current_etag", "")


class QuotaExceededError(PresenceError):
    """A limit is used up, such as a status's uses per shift.

    ``used`` and ``limit`` are known for ``STATUS_LIMIT_REACHED``;
    :attr:`quota_violations` has the server's words either way.
    """

    @property
    def used(self) -> int | None:
        return _int(self.metadata.get("used"))

    @property
    def limit(self) -> int | None:
        return _int(self.metadata.get("limit"))

    @property
    def status_type_id(self) -> str:
        return self.metadata.get("status_type_id", "")


class PermissionDeniedError(PresenceError):
    """The caller is known but may not do this."""


class UnauthenticatedError(PresenceError):
    """The caller could not be identified."""


class UnavailableError(PresenceError):
    """The server could not be reached or is stopping. Transient."""


class DeadlineExceededError(PresenceError):
    """No answer within the call's timeout. Transient; the call may have run."""


class CallCancelledError(PresenceError):
    """The call was cancelled (by this process, or the server went away)."""


class InternalError(PresenceError):
    """The server failed unexpectedly; :attr:`request_id` finds it in its log."""


_BY_CODE: dict[grpc.StatusCode, type[PresenceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: PreconditionFailedError,
    grpc.StatusCode.ABORTED: ConflictError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: QuotaExceededError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: CallCancelledError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNKNOWN: InternalError,
    grpc.StatusCode.DATA_LOSS: InternalError,
}

# Reasons with a class of their own; used only when the code agrees.
_BY_REASON: dict[str, type[PresenceError]] = {
    "REVISION_MISMATCH": StaleRevisionError,
    "ETAG_MISMATCH": EtagMismatchError,
}

_TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def is_transient(error: BaseException) -> bool:
    """True for failures a retry may cure: UNAVAILABLE and DEADLINE_EXCEEDED.

    Retrying is only safe for calls the server deduplicates (those with a
    request id) or that change nothing.
    """
    return isinstance(error, PresenceError) and error.code in _TRANSIENT


def from_rpc_error(error: grpc.RpcError) -> PresenceError:
    """The typed error for a failed call (sync or asyncio)."""
    code = _code(error)
    message = _text(error)
    status = _rich_status(error, code)
    if status is None:
        plain = _BY_CODE.get(code, PresenceError)(code, message)
        plain.rpc_error = error
        return plain

    facts: dict[str, Any] = {"status": status}
    for packed in status.details:
        _read_detail(packed, facts)
    reason = facts.get("reason", "")
    cls = _BY_CODE.get(code, PresenceError)
    special = _BY_REASON.get(reason)
    if special is not None and issubclass(special, cls):
        cls = special
    typed = cls(code, status.message or message, **facts)
    typed.rpc_error = error
    return typed


def _code(error: grpc.RpcError) -> grpc.StatusCode:
    code = getattr(error, "code", None)
    value = code() if callable(code) else None
    return value if isinstance(value, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _text(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    value = details() if callable(details) else None
    return value if isinstance(value, str) else str(error)


def _rich_status(
    error: grpc.RpcError, code: grpc.StatusCode
) -> status_pb2.Status | None:
    trailers = getattr(error, "trailing_metadata", None)
    metadata = trailers() if callable(trailers) else None
    for key, value in metadata or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        # Trailers that disagree with the status line are not to be trusted.
        return status if status.code == code.value[0] else None
    return None


def _read_detail(packed: any_pb2.Any, facts: dict[str, Any]) -> None:
    if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
        info = error_details_pb2.ErrorInfo()
        packed.Unpack(info)
        facts["reason"] = info.reason
        facts["metadata"] = dict(info.metadata)
    elif packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
        bad = error_details_pb2.BadRequest()
        packed.Unpack(bad)
        facts["field_violations"] = [
            FieldViolation(v.field, v.description) for v in bad.field_violations
        ]
    elif packed.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
        failure = error_details_pb2.PreconditionFailure()
        packed.Unpack(failure)
        facts["precondition_violations"] = [
            PreconditionViolation(v.type, v.subject, v.description)
            for v in failure.violations
        ]
    elif packed.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
        quota = error_details_pb2.QuotaFailure()
        packed.Unpack(quota)
        facts["quota_violations"] = [
            QuotaViolation(v.subject, v.description) for v in quota.violations
        ]
    elif packed.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
        info_ = error_details_pb2.ResourceInfo()
        packed.Unpack(info_)
        facts["resource"] = Resource(
            info_.resource_type, info_.resource_name, info_.description
        )
    elif packed.Is(error_details_pb2.RequestInfo.DESCRIPTOR):
        request = error_details_pb2.RequestInfo()
        packed.Unpack(request)
        facts["request_id"] = request.request_id


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
