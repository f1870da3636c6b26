/** The channel and one way to make a call: deadline, metadata, retry, errors. */
import { credentials as grpcCredentials, Metadata, } from "@grpc/grpc-js";
import { fromServiceError } from "./errors.js";
import { DEFAULT_RETRY, withRetry } from "./retry.js";
/** The header the server takes its log's request id from. */
export const REQUEST_ID_HEADER = "x-request-id";
/** Channel options of every client, each on purpose. */
export const DEFAULT_CHANNEL_OPTIONS = {
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
/** The shared state of one client: its channel options and call helper. */
export class Rpc {
    address;
    options;
    credentials;
    channelOptions;
    clients = [];
    constructor(address, options) {
        this.address = address;
        this.options = options;
        // Known limitation: plaintext unless credentials are given; the server
        // does not offer TLS or authentication yet.
        this.credentials = options.credentials ?? grpcCredentials.createInsecure();
        this.channelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions };
    }
    /** A generated client on this address; every one shares the first's channel. */
    client(constructor) {
        const first = this.clients[0];
        const made = new constructor(this.address, this.credentials, {
            ...this.channelOptions,
            ...(first !== undefined ? { channelOverride: first.getChannel() } : {}),
        });
        this.clients.push(made);
        return made;
    }
    /** Metadata for one call: the client's, the request id, wait-for-ready. */
    metadata(requestId = "", waitForReady = false) {
        const metadata = new Metadata(waitForReady ? { waitForReady: true } : undefined);
        for (const [key, value] of Object.entries(this.options.metadata ?? {})) {
            metadata.set(key, value);
        }
        if (requestId) {
            metadata.set(REQUEST_ID_HEADER, requestId);
        }
        return metadata;
    }
    /** Call `method(request)`; typed errors, retried with the same request when `retry`. */
    unary(method, request, { retry, requestId = "" }) {
        const once = () => new Promise((resolve, reject) => {
            const timeout = this.options.timeoutMs ?? 10_000;
            method(request, this.metadata(requestId), { deadline: new Date(Date.now() + timeout) }, (error, response) => {
                if (error) {
                    reject(fromServiceError(error));
                }
                else {
                    resolve(response);
                }
            });
        });
        if (!retry) {
            return once();
        }
        const what = method.name.replace(/^bound /, "");
        return withRetry(this.options.retry ?? DEFAULT_RETRY, what, once, (error, attempt) => this.options.onRetry?.(what, error, attempt));
    }
    close() {
        for (const client of this.clients.splice(0)) {
            client.close();
        }
    }
}
//# sourceMappingURL=rpc.js.map