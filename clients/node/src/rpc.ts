/** The channel and one way to make a call: deadline, metadata, retry, errors. */
import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientUnaryCall,
  credentials as grpcCredentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";

import { fromServiceError, PresenceError } from "./errors.js";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.js";
import { type TlsFiles, tlsCredentials } from "./tls.js";

/** The header the server takes its log's request id from. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Channel options of every client, each on purpose. */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  // Ping an idle connection every 10 s (the server accepts that) so a dead
  // server or a dropped NAT mapping is noticed within seconds.
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  // Reconnect quickly after a server restart: an agent's session must come
  // back well within the server's grace period (30 s by default).
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1_000,
};

/** How a {@link PresenceClient} reaches its server. */
export interface ClientOptions {
  /** TLS or other channel credentials; plaintext when left out. */
  readonly credentials?: ChannelCredentials;
  /** TLS or mutual TLS from PEM files (see {@link tlsCredentials}); not with `credentials`. */
  readonly tls?: TlsFiles;
  /** Milliseconds each call (each try) may take; 10 s by default. */
  readonly timeoutMs?: number;
  /** How calls that are safe to repeat are retried. */
  readonly retry?: RetryPolicy;
  /**
   * A bearer token (a JWT, or an API key) sent as `authorization: Bearer <token>`
   * with every call, streams too.
   */
  readonly token?: string;
  /** Sent with every call, after the token. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Extra grpc-js channel options, over the client's own. */
  readonly channelOptions?: ChannelOptions;
  /** Told about each retry (for logging). */
  readonly onRetry?: (what: string, error: PresenceError, attempt: number) => void;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** A generated unary method, bound to its client. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: Callback<Res>,
) => ClientUnaryCall;

/** The shared state of one client: its channel options and call helper. */
export class Rpc {
  readonly credentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
  private readonly clients: Client[] = [];

  constructor(
    readonly address: string,
    readonly options: ClientOptions,
  ) {
    if (options.token !== undefined && options.token.trim() === "") {
      throw new TypeError("token is empty; leave it out for a server without auth");
    }
    if (options.credentials !== undefined && options.tls !== undefined) {
      throw new TypeError("give either credentials or tls, not both");
    }
    // Plaintext unless credentials or TLS files are given.
    this.credentials =
      options.credentials ??
      (options.tls !== undefined ? tlsCredentials(options.tls) : grpcCredentials.createInsecure());
    this.channelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions };
  }

  /** A generated client on this address; every one shares the first's channel. */
  client<C extends Client>(
    constructor: new (
      address: string,
      credentials: ChannelCredentials,
      options?: Record<string, unknown>,
    ) => C,
  ): C {
    const first = this.clients[0];
    const made = new constructor(this.address, this.credentials, {
      ...this.channelOptions,
      ...(first !== undefined ? { channelOverride: first.getChannel() } : {}),
    });
    this.clients.push(made);
    return made;
  }

  /** Metadata for one call: the client's, the request id, wait-for-ready. */
  metadata(requestId = "", waitForReady = false): Metadata {
    const metadata = new Metadata(waitForReady ? { waitForReady: true } : undefined);
    if (this.options.token !== undefined) {
      metadata.set("authorization", `Bearer ${this.options.token.trim()}`);
    }
    for (const [key, value] of Object.entries(this.options.metadata ?? {})) {
      metadata.set(key, value);
    }
    if (requestId) {
      metadata.set(REQUEST_ID_HEADER, requestId);
    }
    return metadata;
  }

  /** Call `method(request)`; typed errors, retried with the same request when `retry`. */
  unary<Req, Res>(
    method: UnaryMethod<Req, Res>,
    request: Req,
    { retry, requestId = "" }: { retry: boolean; requestId?: string },
  ): Promise<Res> {
    const once = (): Promise<Res> =>
      new Promise<Res>((resolve, reject) => {
        const timeout = this.options.timeoutMs ?? 10_000;
        method(
          request,
          this.metadata(requestId),
          { deadline: new Date(Date.now() + timeout) },
          (error, response) => {
            if (error) {
              reject(fromServiceError(error));
            } else {
              resolve(response);
            }
          },
        );
      });
    if (!retry) {
      return once();
    }
    const what = method.name.replace(/^bound /, "");
    return withRetry(this.options.retry ?? DEFAULT_RETRY, what, once, (error, attempt) =>
      this.options.onRetry?.(what, error, attempt),
    );
  }

  close(): void {
    for (const client of this.clients.splice(0)) {
      client.close();
    }
  }
}
