import { Agents, StatusTypes } from "./admin.js";
import type { ActivityKind } from "./gen/presence/v1/common.js";
import { type AgentStatus, ClientKind, type OpenSessionResponse, type PresenceChange, PresenceFilter, type Session, Source } from "./gen/presence/v1/presence.js";
import { type ClientOptions } from "./rpc.js";
import { AgentSession, type SessionOptions } from "./session.js";
import { Subscription, type SubscribeOptions } from "./subscribe.js";
export declare const DEFAULT_ADDRESS = "127.0.0.1:50051";
/** A fresh id for one state-changing request (a random UUID). */
export declare function newRequestId(): string;
/** Options of every state-changing presence call. */
export interface ChangeOptions {
    /**
     * Makes the call idempotent: a repeat with the same id returns the first
     * result and never counts twice. Made by the client when left out.
     */
    readonly requestId?: string;
}
export interface SetStatusOptions extends ChangeOptions {
    /** Why, in the caller's words; kept in history. */
    readonly reason?: string;
    /** Refused with StaleRevisionError unless this is the agent's revision. */
    readonly expectedRevision?: number;
    /** `Source.AGENT` (the default) or `Source.SUPERVISOR`. */
    readonly source?: Source;
}
/** Which agents to follow: every given criterion must hold. */
export type PresenceFilterOptions = Partial<PresenceFilter>;
/**
 * A client of one presence-server.
 *
 * Every state-changing presence call carries a request id (yours or a
 * fresh one), and the client's own retries after UNAVAILABLE or
 * DEADLINE_EXCEEDED resend it unchanged, so the server applies the change
 * once. Close the client with {@link close} when done.
 */
export declare class PresenceClient {
    readonly address: string;
    /** Status type administration. */
    readonly statusTypes: StatusTypes;
    /** Agent administration. */
    readonly agents: Agents;
    private readonly rpc;
    private readonly stub;
    constructor(address?: string, options?: ClientOptions);
    /** Close the channel; calls in flight fail with CANCELLED. */
    close(): void;
    /**
     * Put the agent in a status: now, or during an activity as the upcoming
     * status (`outcome` says which). Over a per-shift limit: QuotaExceededError.
     */
    setStatus(agentId: string, statusTypeId: string, options?: SetStatusOptions): Promise<PresenceChange>;
    /** Drop the status waiting for the agent's activity to end, if any. */
    cancelUpcomingStatus(agentId: string, options?: ChangeOptions): Promise<PresenceChange>;
    /** The agent began a call, chat or task named `externalId`. */
    startActivity(agentId: string, kind: ActivityKind, externalId: string, options?: ChangeOptions): Promise<PresenceChange>;
    /** The activity ended; with the last one the upcoming status applies. */
    endActivity(agentId: string, externalId: string, options?: ChangeOptions & {
        readonly wrapUpSeconds?: number;
    }): Promise<PresenceChange>;
    /** Open a shift (leaving Offline opens one by itself too). */
    startShift(agentId: string, options?: ChangeOptions): Promise<PresenceChange>;
    /** End the shift and go Offline; PreconditionFailedError during an activity. */
    endShift(agentId: string, options?: ChangeOptions & {
        readonly reason?: string;
    }): Promise<PresenceChange>;
    private change;
    /** One agent's live presence. */
    getPresence(agentId: string): Promise<AgentStatus>;
    /** Live presence of the agents matching every given criterion, by id. */
    listPresence(filter?: PresenceFilterOptions): Promise<AgentStatus[]>;
    /**
     * Live presence of the matching agents: a snapshot, then every event,
     * reconnecting and resuming by itself (see {@link Subscription}).
     */
    subscribe(options?: SubscribeOptions): Subscription;
    /** A session that keeps the agent connected (see {@link AgentSession}). */
    session(agentId: string, options?: SessionOptions): AgentSession;
    /** A lease session for backends that cannot hold a stream. */
    openSession(agentId: string, options?: {
        client?: ClientKind;
        clientName?: string;
        ttlSeconds?: number;
    }): Promise<OpenSessionResponse>;
    /** Extend a lease session. */
    keepAlive(sessionId: string): Promise<Session>;
    /** End a lease session now; the agent's presence after it. */
    closeSession(sessionId: string): Promise<AgentStatus | undefined>;
}
