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
import { Status } from "./gen/google/rpc/status.js";
export { status as Code } from "@grpc/grpc-js";
export declare const STATUS_DETAILS_KEY = "grpc-status-details-bin";
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
export declare class PresenceError extends Error {
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
    constructor(code: Code, message: string, facts?: ErrorFacts);
    /** The code's name: `RESOURCE_EXHAUSTED`. */
    get codeName(): string;
    /** UNAVAILABLE or DEADLINE_EXCEEDED: a retry may succeed. */
    get transient(): boolean;
}
/** The request is wrong (see `fieldViolations`); do not retry it as is. */
export declare class InvalidArgumentError extends PresenceError {
}
/** The named agent, status type or session does not exist. */
export declare class NotFoundError extends PresenceError {
}
/** An agent or status type with that id or name exists already. */
export declare class AlreadyExistsError extends PresenceError {
}
/** The server's state does not allow this now (ending a shift during a call). */
export declare class PreconditionFailedError extends PresenceError {
    get violations(): readonly PreconditionViolation[];
}
/** Someone else changed the resource first (ABORTED): read again, retry. */
export declare class ConflictError extends PresenceError {
    get violations(): readonly PreconditionViolation[];
}
/** `expectedRevision` was no longer the agent's revision. */
export declare class StaleRevisionError extends ConflictError {
    /** The agent's revision when the server refused, when it said. */
    get currentRevision(): number | undefined;
}
/** The etag sent with a write is not the stored one. */
export declare class EtagMismatchError extends ConflictError {
    get currentEtag(): string;
}
/** A limit is used up, such as a status's uses per shift. */
export declare class QuotaExceededError extends PresenceError {
    get used(): number | undefined;
    get limit(): number | undefined;
    get statusTypeId(): string;
}
/** The caller is known but may not do this. */
export declare class PermissionDeniedError extends PresenceError {
}
/** The caller could not be identified. */
export declare class UnauthenticatedError extends PresenceError {
}
/** The server could not be reached or is stopping. Transient. */
export declare class UnavailableError extends PresenceError {
}
/** No answer in time. Transient; the call may have run. */
export declare class DeadlineExceededError extends PresenceError {
}
/** The call was cancelled, here or because the server went away. */
export declare class CallCancelledError extends PresenceError {
}
/** The server failed unexpectedly; `requestId` finds it in its log. */
export declare class InternalError extends PresenceError {
}
/** The typed error for a failed grpc-js call. */
export declare function fromServiceError(error: ServiceError): PresenceError;
/** The `google.rpc.Status` in the trailers, if it agrees with the code. */
export declare function richStatus(metadata: Metadata | undefined, code: Code): Status | undefined;
