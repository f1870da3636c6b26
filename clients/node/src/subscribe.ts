/**
 * Live presence that survives broken streams: {@link Subscription}.
 *
 * `SubscribePresence` sends a snapshot (or, when resuming, the missed
 * events), then every change in revision order; every message says up to
 * which revision the stream has delivered. When the stream breaks (server
 * restart, network drop, the server ending a stream that reads too slowly)
 * the subscription reconnects with backoff and asks for everything after
 * the last revision it handed out, so its reader sees each event once. If
 * the server no longer keeps events that old, the reader gets a snapshot
 * flagged `resync`: replace everything known with it.
 */
import type { ClientReadableStream } from "@grpc/grpc-js";

import type { PresenceError } from "./errors.js";
import {
  type AgentStatus,
  type PresenceEvent,
  PresenceFilter,
  type PresenceServiceClient,
  type SubscribePresenceRequest,
  type SubscribePresenceResponse,
} from "./gen/presence/v1/presence.js";
import { Backoff, sleep } from "./retry.js";
import type { Rpc } from "./rpc.js";
import { messagesOf, type OnRetry, PERMANENT, streamFailure } from "./stream.js";

export interface SubscribeOptions {
  /** Which agents to follow; every given criterion must hold. */
  readonly filter?: Partial<PresenceFilter>;
  /** Start with a snapshot of every matching agent (default true). */
  readonly includeSnapshot?: boolean;
  /** Resume after this revision (an earlier subscription's `revision`). */
  readonly fromRevision?: number;
  readonly backoff?: Backoff;
  /** Told when a stream is being reopened (also after a failed first connect). */
  readonly onReconnect?: (reason: string, revision: number | undefined) => void;
  /** Told of each failed (re)connect, the first included. */
  readonly onRetry?: OnRetry;
  /** Told each time a stream is up: the first time and after each failure. */
  readonly onConnect?: () => void;
}

/** Every matching agent's presence as of `revision`. */
export interface SnapshotItem {
  readonly type: "snapshot";
  readonly presences: readonly AgentStatus[];
  readonly revision: number;
  /** True when it replaces a resume that was no longer possible. */
  readonly resync: boolean;
}

/** One change. */
export interface EventItem {
  readonly type: "event";
  readonly event: PresenceEvent;
  readonly revision: number;
}

export type SubscriptionItem = SnapshotItem | EventItem;

/**
 * An async iterable of snapshot and event items, made by
 * `PresenceClient.subscribe`. Iterate it once with `for await`; leave the
 * loop or call {@link close} to stop. A broken stream is reopened from
 * {@link revision}, forever; a refusal that reconnecting cannot cure (a bad
 * filter) is thrown from the loop. While the server is down each failed
 * try goes to `onRetry`, and `onConnect` hears when a stream is up again.
 */
export class Subscription implements AsyncIterable<SubscriptionItem> {
  /** The revision everything handed out so far reaches. */
  revision: number | undefined;
  connected = false;
  reconnects = 0;
  private closed = false;
  private call: ClientReadableStream<SubscribePresenceResponse> | undefined;
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;
  private failures = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly stub: PresenceServiceClient,
    private readonly options: SubscribeOptions,
  ) {
    this.revision = options.fromRevision;
    this.backoff = options.backoff ?? new Backoff();
  }

  [Symbol.asyncIterator](): AsyncGenerator<SubscriptionItem> {
    return this.run();
  }

  /** Stop: the stream is cancelled and the iteration ends. */
  close(): void {
    this.closed = true;
    this.stopping.abort();
    this.call?.cancel();
  }

  private request(): SubscribePresenceRequest {
    return {
      filter: PresenceFilter.fromPartial(this.options.filter ?? {}),
      includeSnapshot: this.options.includeSnapshot ?? true,
      fromRevision: this.revision,
    };
  }

  private async *run(): AsyncGenerator<SubscriptionItem> {
    while (!this.closed) {
      // Not waitForReady: while the server is down each try fails at once,
      // so that the failure is seen and reported before the next one.
      const call = this.stub.subscribePresence(this.request(), this.rpc.metadata());
      this.call = call;
      const pages: AgentStatus[] = [];
      let why = "the server ended the stream";
      let failure: PresenceError | undefined;
      try {
        for await (const message of messagesOf(call)) {
          if (!this.connected) {
            this.connected = true;
            this.backoff.reset();
            this.failures = 0;
            this.options.onConnect?.();
          }
          for (const item of this.itemsOf(message, pages)) {
            // Advance before handing out: a reader that stops here saw it.
            this.revision = item.revision;
            yield item;
          }
          if (message.revision > (this.revision ?? 0)) {
            this.revision = message.revision;
          }
        }
      } catch (error) {
        if (this.closed) {
          return;
        }
        failure = streamFailure(error);
        if (PERMANENT.has(failure.code)) {
          throw failure;
        }
        why = `${failure.codeName}: ${failure.message}`;
      } finally {
        call.cancel();
        this.call = undefined;
        this.connected = false;
      }
      if (this.closed) {
        return;
      }
      this.reconnects += 1;
      const delay = this.backoff.delay();
      if (failure !== undefined) {
        this.failures += 1;
        this.options.onRetry?.(failure, this.failures, delay);
      }
      this.options.onReconnect?.(why, this.revision);
      await sleep(delay, this.stopping.signal);
    }
  }

  private itemsOf(message: SubscribePresenceResponse, pages: AgentStatus[]): SubscriptionItem[] {
    const items: SubscriptionItem[] = [];
    if (message.snapshot.length > 0 || message.snapshotEnd) {
      pages.push(...message.snapshot);
      if (!message.snapshotEnd) {
        return items;
      }
      items.push({
        type: "snapshot",
        presences: pages.splice(0),
        revision: message.revision,
        resync: message.resync,
      });
    }
    let after = items.length > 0 ? items[items.length - 1]!.revision : this.revision;
    for (const event of message.events) {
      // A resumed stream starts after our revision; this guard only matters
      // if a server ever sent an event twice.
      if (after !== undefined && event.revision <= after) {
        continue;
      }
      items.push({ type: "event", event, revision: event.revision });
      after = event.revision;
    }
    return items;
  }
}
