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

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  totalMs: 20_000,
};

/** One try only. */
export const NO_RETRY: RetryPolicy = { attempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

/** Run `call` until it succeeds, fails for good, or `policy` gives up. */
export async function withRetry<T>(
  policy: RetryPolicy,
  what: string,
  call: () => Promise<T>,
  onRetry?: (error: PresenceError, attempt: number) => void,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof PresenceError && error.transient;
      const wait = Math.min(policy.initialBackoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
      const late = policy.totalMs !== undefined && Date.now() - started + wait > policy.totalMs;
      if (!retryable || attempt >= policy.attempts || late) {
        throw error;
      }
      onRetry?.(error, attempt);
      await sleep(wait + Math.random() * policy.initialBackoffMs);
    }
  }
}

/**
 * Delays between reconnects of a long-lived stream, reset once it works:
 * from `initialMs`, doubling up to `maxMs`, each drawn between half and all
 * of its value so that clients cut off together do not return in step.
 */
export class Backoff {
  private next = 0;

  constructor(
    readonly initialMs = 50,
    readonly maxMs = 1_000,
  ) {}

  delay(): number {
    const current = this.next || this.initialMs;
    this.next = Math.min(current * 2, this.maxMs);
    return current / 2 + (Math.random() * current) / 2;
  }

  reset(): void {
    this.next = 0;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
