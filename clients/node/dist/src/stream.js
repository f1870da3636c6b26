/** What the two long-lived streams (subscribe, session) share. */
import { status as Code } from "@grpc/grpc-js";
import { fromServiceError } from "./errors.js";
/** Failures that reconnecting cannot cure: the stream gives up and says why. */
export const PERMANENT = new Set([
    Code.INVALID_ARGUMENT,
    Code.NOT_FOUND,
    Code.FAILED_PRECONDITION,
    Code.PERMISSION_DENIED,
    Code.UNAUTHENTICATED,
    Code.UNIMPLEMENTED,
]);
function isServiceError(error) {
    return error instanceof Error && "code" in error && "metadata" in error;
}
/** The typed error for what a stream threw; anything else is re-thrown. */
export function streamFailure(error) {
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
export function messagesOf(call) {
    call.on("error", () => undefined);
    return call;
}
//# sourceMappingURL=stream.js.map