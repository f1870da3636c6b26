/** The channel and one way to make a call: deadline, metadata, retry, errors. */
import { type CallOptions, type ChannelCredentials, type ChannelOptions, type Client, type ClientUnaryCall, Metadata, type ServiceError } from "@grpc/grpc-js";
import { PresenceError } from "./errors.js";
import { type RetryPolicy } from "./retry.js";
/** The header the server takes its log's request id from. */
export declare const REQUEST_ID_HEADER = "x-request-id";
/** Channel options of every client, each on purpose. */
export declare const DEFAULT_CHANNEL_OPTIONS: ChannelOptions;
/** How a {@link PresenceClient} reaches its server. */
export interface ClientOptions {
    /** TLS or other channel credentials; plaintext when left out. */
    readonly credentials?: ChannelCredentials;
    /** Milliseconds each call (each try) may take; 10 s by default. */
    readonly timeoutMs?: number;
    /** How calls that are safe to repeat are retried. */
    readonly retry?: RetryPolicy;
    /** Sent with every call (an authorization header, say). */
    readonly metadata?: Readonly<Record<string, string>>;
    /** Extra grpc-js channel options, over the client's own. */
    readonly channelOptions?: ChannelOptions;
    /** Told about each retry (for logging). */
    readonly onRetry?: (what: string, error: PresenceError, attempt: number) => void;
}
type Callback<Res> = (error: ServiceError | null, response: Res) => void;
/** A generated unary method, bound to its client. */
export type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => ClientUnaryCall;
/** The shared state of one client: its channel options and call helper. */
export declare class Rpc {
    readonly address: string;
    readonly options: ClientOptions;
    readonly credentials: ChannelCredentials;
    readonly channelOptions: ChannelOptions;
    private readonly clients;
    constructor(address: string, options: ClientOptions);
    /** A generated client on this address; every one shares the first's channel. */
    client<C extends Client>(constructor: new (address: string, credentials: ChannelCredentials, options?: Record<string, unknown>) => C): C;
    /** Metadata for one call: the client's, the request id, wait-for-ready. */
    metadata(requestId?: string, waitForReady?: boolean): Metadata;
    /** Call `method(request)`; typed errors, retried with the same request when `retry`. */
    unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, { retry, requestId }: {
        retry: boolean;
        requestId?: string;
    }): Promise<Res>;
    close(): void;
}
export {};
