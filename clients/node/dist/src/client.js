/**
 * The client: {@link PresenceClient}.
 *
 * One client holds one channel to one server and is shared by the whole
 * program. Calls take plain arguments and resolve to the API's messages;
 * a failed call rejects with a typed {@link PresenceError}.
 */
import { randomUUID } from "node:crypto";
import { Agents, StatusTypes } from "./admin.js";
import { ClientKind, PresenceFilter, PresenceServiceClient, Source, } from "./gen/presence/v1/presence.js";
import { Rpc } from "./rpc.js";
import { AgentSession } from "./session.js";
import { Subscription } from "./subscribe.js";
export const DEFAULT_ADDRESS = "127.0.0.1:50051";
/** A fresh id for one state-changing request (a random UUID). */
export function newRequestId() {
    return randomUUID();
}
/**
 * A client of one presence-server.
 *
 * Every state-changing presence call carries a request id (yours or a
 * fresh one), and the client's own retries after UNAVAILABLE or
 * DEADLINE_EXCEEDED resend it unchanged, so the server applies the change
 * once. Close the client with {@link close} when done.
 */
export class PresenceClient {
    address;
    /** Status type administration. */
    statusTypes;
    /** Agent administration. */
    agents;
    rpc;
    stub;
    constructor(address = DEFAULT_ADDRESS, options = {}) {
        this.address = address;
        this.rpc = new Rpc(address, options);
        this.stub = this.rpc.client(PresenceServiceClient);
        this.statusTypes = new StatusTypes(this.rpc);
        this.agents = new Agents(this.rpc);
    }
    /** Close the channel; calls in flight fail with CANCELLED. */
    close() {
        this.rpc.close();
    }
    // --- changing presence ------------------------------------------------------
    /**
     * Put the agent in a status: now, or during an activity as the upcoming
     * status (`outcome` says which). Over a per-shift limit: QuotaExceededError.
     */
    setStatus(agentId, statusTypeId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.setStatus.bind(this.stub), requestId, {
            agentId,
            statusTypeId,
            requestId,
            reason: options.reason ?? "",
            expectedRevision: options.expectedRevision,
            source: options.source ?? Source.UNSPECIFIED,
        });
    }
    /** Drop the status waiting for the agent's activity to end, if any. */
    cancelUpcomingStatus(agentId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.cancelUpcomingStatus.bind(this.stub), requestId, {
            agentId,
            requestId,
        });
    }
    /** The agent began a call, chat or task named `externalId`. */
    startActivity(agentId, kind, externalId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.startActivity.bind(this.stub), requestId, {
            agentId,
            kind,
            externalId,
            requestId,
        });
    }
    /** The activity ended; with the last one the upcoming status applies. */
    endActivity(agentId, externalId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.endActivity.bind(this.stub), requestId, {
            agentId,
            externalId,
            wrapUpSeconds: options.wrapUpSeconds,
            requestId,
        });
    }
    /** Open a shift (leaving Offline opens one by itself too). */
    startShift(agentId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.startShift.bind(this.stub), requestId, {
            agentId,
            requestId,
        });
    }
    /** End the shift and go Offline; PreconditionFailedError during an activity. */
    endShift(agentId, options = {}) {
        const requestId = options.requestId ?? newRequestId();
        return this.change(this.stub.endShift.bind(this.stub), requestId, {
            agentId,
            requestId,
            reason: options.reason ?? "",
        });
    }
    change(method, requestId, request) {
        return this.rpc.unary(method, request, { retry: true, requestId });
    }
    // --- reading presence --------------------------------------------------------
    /** One agent's live presence. */
    getPresence(agentId) {
        return this.rpc.unary(this.stub.getPresence.bind(this.stub), { agentId }, { retry: true });
    }
    /** Live presence of the agents matching every given criterion, by id. */
    async listPresence(filter = {}) {
        const response = await this.rpc.unary(this.stub.listPresence.bind(this.stub), { filter: PresenceFilter.fromPartial(filter) }, { retry: true });
        return response.presences;
    }
    // --- streaming and sessions ------------------------------------------------------
    /**
     * Live presence of the matching agents: a snapshot, then every event,
     * reconnecting and resuming by itself (see {@link Subscription}).
     */
    subscribe(options = {}) {
        return new Subscription(this.rpc, this.stub, options);
    }
    /** A session that keeps the agent connected (see {@link AgentSession}). */
    session(agentId, options = {}) {
        return new AgentSession(this.rpc, this.stub, agentId, options);
    }
    /** A lease session for backends that cannot hold a stream. */
    openSession(agentId, options = {}) {
        return this.rpc.unary(this.stub.openSession.bind(this.stub), {
            agentId,
            client: options.client ?? ClientKind.WEB,
            clientName: options.clientName ?? "",
            ttlSeconds: options.ttlSeconds ?? 0,
        }, { retry: false });
    }
    /** Extend a lease session. */
    keepAlive(sessionId) {
        return this.rpc.unary(this.stub.keepAlive.bind(this.stub), { sessionId }, { retry: true });
    }
    /** End a lease session now; the agent's presence after it. */
    async closeSession(sessionId) {
        const response = await this.rpc.unary(this.stub.closeSession.bind(this.stub), { sessionId }, { retry: false });
        return response.presence;
    }
}
//# sourceMappingURL=client.js.map