/** What the two long-lived streams (subscribe, session) share. */
import { type ClientReadableStream, status as Code } from "@grpc/grpc-js";
import { type PresenceError } from "./errors.js";
/** Failures that reconnecting cannot cure: the stream gives up and says why. */
export declare const PERMANENT: Set<Code>;
/** The typed error for what a stream threw; anything else is re-thrown. */
export declare function streamFailure(error: unknown): PresenceError;
/**
 * Read `call` message by message. The call's own `error` event is also
 * listened to, so that the CANCELLED a `cancel()` causes after reading
 * stopped can never go unhandled.
 */
export declare function messagesOf<T>(call: ClientReadableStream<T>): AsyncIterable<T>;
