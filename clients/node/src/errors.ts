/**
 * Typed errors, rebuilt from the `google.rpc.Status` the server attaches.
 *
 * Every failed call rejects with a {@link PresenceError} subclass. The
 * server sends a `google.rpc.Status` in the `grpc-status-details-bin`
 * trailer; its details become fields: `ErrorInfo` gives `reason` (a stable
 * id such as `STATUS_LIMIT_REACHED`) and `metadata`; `BadRequest`,
 * `PreconditionFailure` and `QuotaFailure` give the violations;
 * `ResourceInfo` the resource; `RequestInfo` the server's request id.
 *
 * The class is chosen by the reason first (`REVISION_MISMATCH` is a
 * {@link StaleRevisionError}), then by the gRPC code. A failure of the
 * client's own transport (server unreachable, deadline passed) has no rich
 * status: `status` is undefined and only the code and message are known.
 */
import { Metadata, status as Code, type ServiceError } from "@grpc/grpc-js";

import {
  BadRequest,
  ErrorInfo,
  PreconditionFailure,
  QuotaFailure,
  RequestInfo,
  ResourceInfo,
} from "./gen/google/rpc/error_details.js";
import { Status } from "./gen/google/rpc/status.js";

export { status as Code } from "@grpc/grpc-js";

export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** One bad field of a request: `field` is a path like `agent.team`. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** One unmet precondition: `type` is `ETAG`, `REVISION`, `ACTIVITY`... */
export interface PreconditionViolation {
  readonly type: string;
  readonly subject: string;
  readonly description: string;
}

/** One used-up quota, `subject` naming it (`agent/alice/status_type/break`). */
export interface QuotaViolation {
  readonly subject: string;
  readonly description: string;
}

/** The resource an error is about (`status_type`, `break`). */
export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly description: string;
}

/** What the server said about a failure, decoded from its details. */
export interface ErrorFacts {
  readonly reason?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly fieldViolations?: readonly FieldViolation[];
  readonly preconditionViolations?: readonly PreconditionViolation[];
  readonly quotaViolations?: readonly QuotaViolation[];
  readonly resource?: Resource;
  readonly requestId?: string;
  readonly status?: Status;
}

/** A call failed. Base of every error this package rejects with. */
export class PresenceError extends Error {
  /** The gRPC status code. */
  readonly code: Code;
  /** The stable `ErrorInfo` reason, or "" for a transport failure. */
  readonly reason: string;
  /** Small string facts from `ErrorInfo` (`current_etag`, `used`...). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];
  readonly preconditionViolations: readonly PreconditionViolation[];
  readonly quotaViolations: readonly QuotaViolation[];
  readonly resource: Resource | undefined;
  /** The server's id for the request: the key to its log. */
  readonly requestId: string;
  /** The whole `google.rpc.Status`, when the server sent one. */
  readonly status: Status | undefined;

  constructor(code: Code, message: string, facts: ErrorFacts = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.reason = facts.reason ?? "";
    this.metadata = facts.metadata ?? {};
    this.fieldViolations = facts.fieldViolations ?? [];
    this.preconditionViolations = facts.preconditionViolations ?? [];
    this.quotaViolations = facts.quotaViolations ?? [];
    this.resource = facts.resource;
    this.requestId = facts.requestId ?? "";
    this.status = facts.status;
  }

  /** The code's name: `RESOURCE_EXHAUSTED`. */
  get codeName(): string {
    return Code[this.code] ?? String(this.code);
  }

  /** UNAVAILABLE or DEADLINE_EXCEEDED: a retry may succeed. */
  get transient(): boolean {
    return this.code === Code.UNAVAILABLE || this.code === Code.DEADLINE_EXCEEDED;
  }
}

/** The request is wrong (see `fieldViolations`); do not retry it as is. */
export class InvalidArgumentError extends PresenceError {}

/** The named agent, status type or session does not exist. */
export class NotFoundError extends PresenceError {}

/** An agent or status type with that id or name exists already. */
export class AlreadyExistsError extends PresenceError {}

/** The server's state does not allow this now (ending a shift during a call). */
export class PreconditionFailedError extends PresenceError {
  get violations(): readonly PreconditionViolation[] {
    return this.preconditionViolations;
  }
}

/** Someone else changed the resource first (ABORTED): read again, retry. */
export class ConflictError extends PresenceError {
  get violations(): readonly PreconditionViolation[] {
    return this.preconditionViolations;
  }
}

/** `expectedRevision` was no longer the agent's revision. */
export class StaleRevisionError extends ConflictError {
  /** The agent's revision when the server refused, when it said. */
  get currentRevision(): number | undefined {
    return toInt(this.metadata["current_revision"]);
  }
}

/** The etag sent with a write is not the stored one. */
export class EtagMismatchError extends ConflictError {
  get currentEtag(): string {
    return this.metadata["current_etag"] ?? "";
  }
}

/** A limit is used up, such as a status's uses per shift. */
export class QuotaExceededError extends PresenceError {
  get used(): number | undefined {
    return toInt(this.metadata["used"]);
  }
  get limit(): number | undefined {
    return toInt(this.metadata["limit"]);
  }
  get statusTypeId(): string {
    return this.metadata["status_type_id"] ?? "";
  }
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends PresenceError {}

/** The caller could not be identified. */
export class UnauthenticatedError extends PresenceError {}

/** The server could not be reached or is stopping. Transient. */
export class UnavailableError extends PresenceError {}

/** No answer in time. Transient; the call may have run. */
export class DeadlineExceededError extends PresenceError {}

/** The call was cancelled, here or because the server went away. */
export class CallCancelledError extends PresenceError {}

/** The server failed unexpectedly; `requestId` finds it in its log. */
export class InternalError extends PresenceError {}

type ErrorClass = new (code: Code, message: string, facts?: ErrorFacts) => PresenceError;

const BY_CODE = new Map<Code, ErrorClass>([
  [Code.INVALID_ARGUMENT, InvalidArgumentError],
  [Code.OUT_OF_RANGE, InvalidArgumentError],
  [Code.NOT_FOUND, NotFoundError],
  [Code.ALREADY_EXISTS, AlreadyExistsError],
  [Code.FAILED_PRECONDITION, PreconditionFailedError],
  [Code.ABORTED, ConflictError],
  [Code.RESOURCE_EXHAUSTED, QuotaExceededError],
  [Code.PERMISSION_DENIED, PermissionDeniedError],
  [Code.UNAUTHENTICATED, UnauthenticatedError],
  [Code.UNAVAILABLE, UnavailableError],
  [Code.DEADLINE_EXCEEDED, DeadlineExceededError],
  [Code.CANCELLED, CallCancelledError],
  [Code.INTERNAL, InternalError],
  [Code.UNKNOWN, InternalError],
  [Code.DATA_LOSS, InternalError],
]);

// Reasons with a class of their own, used when the code agrees.
const BY_REASON = new Map<string, ErrorClass>([
  ["REVISION_MISMATCH", StaleRevisionError],
  ["ETAG_MISMATCH", EtagMismatchError],
]);

/** The typed error for a failed grpc-js call. */
export function fromServiceError(error: ServiceError): PresenceError {
  const code = error.code ?? Code.UNKNOWN;
  const status = richStatus(error.metadata, code);
  let errorClass = BY_CODE.get(code) ?? PresenceError;
  if (status === undefined) {
    return new errorClass(code, withoutEmptyNote(error.details || error.message));
  }
  const facts = readDetails(status);
  const special = facts.reason !== undefined ? BY_REASON.get(facts.reason) : undefined;
  if (special !== undefined && special.prototype instanceof errorClass) {
    errorClass = special;
  }
  return new errorClass(code, status.message || error.details, facts);
}

/**
 * grpc-js ends a failed connection's message with "Resolution note: " and
 * whatever the resolver said, which is usually nothing: drop it then.
 */
function withoutEmptyNote(message: string): string {
  return message.replace(/[\s,;.]*Resolution note:\s*$/, "");
}

/** The `google.rpc.Status` in the trailers, if it agrees with the code. */
export function richStatus(metadata: Metadata | undefined, code: Code): Status | undefined {
  const [value] = metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (value === undefined || typeof value === "string") {
    return undefined;
  }
  const status = Status.decode(value);
  return status.code === code ? status : undefined;
}

function readDetails(status: Status): ErrorFacts {
  const facts: {
    -readonly [K in keyof ErrorFacts]: ErrorFacts[K];
  } = { status };
  for (const detail of status.details) {
    const typeName = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
    switch (typeName) {
      case "google.rpc.ErrorInfo": {
        const info = ErrorInfo.decode(detail.value);
        facts.reason = info.reason;
        facts.metadata = info.metadata;
        break;
      }
      case "google.rpc.BadRequest":
        facts.fieldViolations = BadRequest.decode(detail.value).fieldViolations.map((v) => ({
          field: v.field,
          description: v.description,
        }));
        break;
      case "google.rpc.PreconditionFailure":
        facts.preconditionViolations = PreconditionFailure.decode(detail.value).violations.map(
          (v) => ({
            type: v.type,
            subject: v.subject,
            description: v.description,
          }),
        );
        break;
      case "google.rpc.QuotaFailure":
        facts.quotaViolations = QuotaFailure.decode(detail.value).violations.map((v) => ({
          subject: v.subject,
          description: v.description,
        }));
        break;
      case "google.rpc.ResourceInfo": {
        const info = ResourceInfo.decode(detail.value);
        facts.resource = {
          type: info.resourceType,
          name: info.resourceName,
          description: info.description,
        };
        break;
      }
      case "google.rpc.RequestInfo":
        facts.requestId = RequestInfo.decode(detail.value).requestId;
        break;
      default:
        // Other details stay readable in `status.details`.
        break;
    }
  }
  return facts;
}

function toInt(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
