/**
 * When and how often the client tries again.
 *
 * The client retries, after UNAVAILABLE or DEADLINE_EXCEEDED only, the
 * presence calls that carry a request id (always resending the same id, so
 * the server applies the change once and answers every copy with the first
 * result) and reads. It never retries admin writes, which the server does
 * not deduplicate.
 */
import { PresenceError } from "./errors.js";
/** How a retried call is retried. */
export interface RetryPolicy {
    /** Tries in all, the first included; 1 turns retrying off. */
    readonly attempts: number;
    /** Milliseconds before the second try; doubles each time, plus jitter. */
    readonly initialBackoffMs: number;
    /** The longest wait between two tries. */
    readonly maxBackoffMs: number;
    /** No new try starts this long after the first; undefined: no bound. */
    readonly totalMs?: number;
}
export declare const DEFAULT_RETRY: RetryPolicy;
/** One try only. */
export declare const NO_RETRY: RetryPolicy;
/** Run `call` until it succeeds, fails for good, or `policy` gives up. */
export declare function withRetry<T>(policy: RetryPolicy, what: string, call: () => Promise<T>, onRetry?: (error: PresenceError, attempt: number) => void): Promise<T>;
/**
 * Delays between reconnects of a long-lived stream, reset once it works:
 * from `initialMs`, doubling up to `maxMs`, each drawn between half and all
 * of its value so that clients cut off together do not return in step.
 */
export declare class Backoff {
    readonly initialMs: number;
    readonly maxMs: number;
    private next;
    constructor(initialMs?: number, maxMs?: number);
    delay(): number;
    reset(): void;
}
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
