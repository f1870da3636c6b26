import type { PresenceError } from "./errors.js";
import { type AgentStatus, ClientKind, type PresenceServiceClient } from "./gen/presence/v1/presence.js";
import { Backoff } from "./retry.js";
import type { Rpc } from "./rpc.js";
export interface SessionOptions {
    /** Which application this is (desktop by default). */
    readonly client?: ClientKind;
    /** Free text for logs and dashboards ("Agent desktop 3.2 on PC-114"). */
    readonly clientName?: string;
    readonly backoff?: Backoff;
}
type Listener = (presence: AgentStatus) => void;
export declare class SessionClosedError extends Error {
    name: string;
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
 * `start`, `waitFor` and the `updates()` loop reject with it.
 */
export declare class AgentSession {
    private readonly rpc;
    private readonly stub;
    readonly agentId: string;
    private readonly options;
    presence: AgentStatus | undefined;
    sessionId: string;
    connected: boolean;
    reconnects: number;
    failure: PresenceError | undefined;
    private closed;
    private running;
    private call;
    private readonly stopping;
    private readonly listeners;
    private readonly endListeners;
    private readonly backoff;
    constructor(rpc: Rpc, stub: PresenceServiceClient, agentId: string, options?: SessionOptions);
    /** Open the stream; resolves with the presence it started with. */
    start(): Promise<AgentStatus>;
    /** Close the stream for good. */
    close(): Promise<void>;
    /** Call `listener` with every presence pushed; returns the unsubscribe. */
    onPresence(listener: Listener): () => void;
    /** Resolves with the first presence (latest first) that satisfies `predicate`. */
    waitFor(predicate: (presence: AgentStatus) => boolean): Promise<AgentStatus>;
    /** Every presence pushed from this call on, until the session ends. */
    updates(): AsyncIterable<AgentStatus>;
    private run;
    private receive;
    private ended;
}
export {};
