/** What the two long-lived streams (subscribe, session) share. */
import { type ClientReadableStream, type ServiceError, status as Code } from "@grpc/grpc-js";

import { fromServiceError, type PresenceError } from "./errors.js";

/**
 * Told of each failed (re)connect of a stream: the error, the failures in a
 * row (1 for the first) and the milliseconds until the next try.
 */
export type OnRetry = (error: PresenceError, attempt: number, delayMs: number) => void;

/** Failures that reconnecting cannot cure: the stream gives up and says why. */
export const PERMANENT = new Set<Code>([
  Code.INVALID_ARGUMENT,
  Code.NOT_FOUND,
  Code.FAILED_PRECONDITION,
  Code.PERMISSION_DENIED,
  Code.UNAUTHENTICATED,
  Code.UNIMPLEMENTED,
]);

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && "code" in error && "metadata" in error;
}

/** The typed error for what a stream threw; anything else is re-thrown. */
export function streamFailure(error: unknown): PresenceError {
  if (!isServiceError(error)) {
    throw error;
  }
  return fromServiceError(error);
}

/**
 * Read `call` message by message. The call's own `error` event is also
 * listened to, so that the CANCELLED a `cancel()` causes after reading
 * stopped can never go unhandled.
 */
export function messagesOf<T>(call: ClientReadableStream<T>): AsyncIterable<T> {
  call.on("error", () => undefined);
  return call as AsyncIterable<T>;
}
