/**
 * An agent's connection, held open: {@link AgentSession}.
 *
 * The server counts an agent as connected while a `Connect` stream is open;
 * when the last one breaks a grace period starts (30 s by default), after
 * which the agent goes Offline unless its status keeps it. The session
 * reopens the stream at once, then with a short backoff (at most a second
 * apart), so a network blip or a server restart never costs the agent its
 * status.
 */
import type { ClientReadableStream } from "@grpc/grpc-js";

import type { PresenceError } from "./errors.js";
import {
  type AgentStatus,
  ClientKind,
  type ConnectUpdate,
  type PresenceServiceClient,
} from "./gen/presence/v1/presence.js";
import { Backoff, sleep } from "./retry.js";
import type { Rpc } from "./rpc.js";
import { messagesOf, type OnRetry, PERMANENT, streamFailure } from "./stream.js";

export interface SessionOptions {
  /** Which application this is (desktop by default). */
  readonly client?: ClientKind;
  /** Free text for logs and dashboards ("Agent desktop 3.2 on PC-114"). */
  readonly clientName?: string;
  readonly backoff?: Backoff;
  /** Told of each failed (re)connect, the first included. */
  readonly onRetry?: OnRetry;
  /** Told each time a stream is up: the first time and after each failure. */
  readonly onConnect?: () => void;
}

type Listener = (presence: AgentStatus) => void;

export class SessionClosedError extends Error {
  override name = "SessionClosedError";
}

/**
 * Keeps one agent's `Connect` stream open, reconnecting when it breaks.
 * Made by `PresenceClient.session`.
 *
 * `await session.start()` opens it and resolves with the first presence;
 * `await session.close()` ends it (the server then starts the grace period,
 * as for any lost connection). Meanwhile `presence` is the agent's latest
 * presence, `connected` whether a stream is open now, and `updates()` /
 * `onPresence()` give every presence the server pushes. A failure that
 * reconnecting cannot cure (unknown or archived agent) ends the session:
 * `start`, `waitFor` and the `updates()` loop reject with it. While the
 * server cannot be reached, `start()` waits for it: each failed try goes
 * to `onRetry`, and `onConnect` hears when a stream is up again.
 */
export class AgentSession {
  presence: AgentStatus | undefined;
  sessionId = "";
  connected = false;
  reconnects = 0;
  failure: PresenceError | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private call: ClientReadableStream<ConnectUpdate> | undefined;
  private readonly stopping = new AbortController();
  private readonly listeners = new Set<Listener>();
  private readonly endListeners = new Set<() => void>();
  private readonly backoff: Backoff;
  private failures = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly stub: PresenceServiceClient,
    readonly agentId: string,
    private readonly options: SessionOptions = {},
  ) {
    this.backoff = options.backoff ?? new Backoff();
  }

  /** Open the stream; resolves with the presence it started with. */
  start(): Promise<AgentStatus> {
    if (this.running !== undefined) {
      throw new Error("the session is already started");
    }
    this.running = this.run();
    return this.waitFor(() => this.connected);
  }

  /** Close the stream for good. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    this.call?.cancel();
    await this.running;
    this.connected = false;
    this.ended();
  }

  /** Call `listener` with every presence pushed; returns the unsubscribe. */
  onPresence(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first presence (latest first) that satisfies `predicate`. */
  waitFor(predicate: (presence: AgentStatus) => boolean): Promise<AgentStatus> {
    return new Promise<AgentStatus>((resolve, reject) => {
      const check = (): boolean => {
        if (this.failure !== undefined) {
          reject(this.failure);
        } else if (this.closed) {
          reject(new SessionClosedError(`the session of ${this.agentId} is closed`));
        } else if (this.presence !== undefined && predicate(this.presence)) {
          resolve(this.presence);
        } else {
          return false;
        }
        return true;
      };
      if (check()) {
        return;
      }
      const stop = (): void => {
        if (check()) {
          unsubscribe();
          this.endListeners.delete(stop);
        }
      };
      const unsubscribe = this.onPresence(stop);
      this.endListeners.add(stop);
    });
  }

  /** Every presence pushed from this call on, until the session ends. */
  updates(): AsyncIterable<AgentStatus> {
    const queue: AgentStatus[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.onPresence((presence) => {
      queue.push(presence);
      wake?.();
    });
    const onEnd = (): void => wake?.();
    this.endListeners.add(onEnd);
    const session = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const next = queue.shift();
            if (next !== undefined) {
              yield next;
              continue;
            }
            if (session.failure !== undefined) {
              throw session.failure;
            }
            if (session.closed) {
              return;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          unsubscribe();
          session.endListeners.delete(onEnd);
        }
      },
    };
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      // Not waitForReady: while the server is down each try fails at once,
      // so that the failure is seen and reported before the next one.
      const call = this.stub.connect(
        {
          agentId: this.agentId,
          client: this.options.client ?? ClientKind.DESKTOP,
          clientName: this.options.clientName ?? "",
        },
        this.rpc.metadata(),
      );
      this.call = call;
      let failure: PresenceError | undefined;
      try {
        for await (const update of messagesOf(call)) {
          this.receive(update);
        }
      } catch (error) {
        if (this.closed) {
          return;
        }
        failure = streamFailure(error);
        if (PERMANENT.has(failure.code)) {
          this.failure = failure;
          this.connected = false;
          this.ended();
          return;
        }
      } finally {
        call.cancel();
        this.call = undefined;
        if (this.connected) {
          this.connected = false;
        }
      }
      if (!this.closed) {
        const delay = this.backoff.delay();
        if (failure !== undefined) {
          this.failures += 1;
          this.options.onRetry?.(failure, this.failures, delay);
        }
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  private receive(update: ConnectUpdate): void {
    if (update.sessionId !== this.sessionId) {
      if (this.sessionId) {
        this.reconnects += 1;
      }
      this.sessionId = update.sessionId;
      this.backoff.reset();
    }
    if (!this.connected) {
      this.connected = true;
      this.failures = 0;
      this.options.onConnect?.();
    }
    const presence = update.presence;
    // Revisions only grow; an older view (a race across reconnects) is news
    // to no one.
    if (
      presence !== undefined &&
      (this.presence === undefined || presence.revision >= this.presence.revision)
    ) {
      this.presence = presence;
      for (const listener of [...this.listeners]) {
        listener(presence);
      }
    }
  }

  private ended(): void {
    for (const listener of [...this.endListeners]) {
      listener();
    }
  }
}
