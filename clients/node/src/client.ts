/**
 * The client: {@link PresenceClient}.
 *
 * One client holds one channel to one server and is shared by the whole
 * program. Calls take plain arguments and resolve to the API's messages;
 * a failed call rejects with a typed {@link PresenceError}.
 */
import { randomUUID } from "node:crypto";

import { Agents, StatusTypes } from "./admin.js";
import type { ActivityKind } from "./gen/presence/v1/common.js";
import {
  type AgentStatus,
  ClientKind,
  type OpenSessionResponse,
  type PresenceChange,
  PresenceFilter,
  PresenceServiceClient,
  type Session,
  Source,
} from "./gen/presence/v1/presence.js";
import { type ClientOptions, Rpc, type UnaryMethod } from "./rpc.js";
import { AgentSession, type SessionOptions } from "./session.js";
import { Subscription, type SubscribeOptions } from "./subscribe.js";

export const DEFAULT_ADDRESS = "127.0.0.1:50051";

/** A fresh id for one state-changing request (a random UUID). */
export function newRequestId(): string {
  return randomUUID();
}

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
export class PresenceClient {
  /** Status type administration. */
  readonly statusTypes: StatusTypes;
  /** Agent administration. */
  readonly agents: Agents;
  private readonly rpc: Rpc;
  private readonly stub: PresenceServiceClient;

  constructor(
    readonly address: string = DEFAULT_ADDRESS,
    options: ClientOptions = {},
  ) {
    this.rpc = new Rpc(address, options);
    this.stub = this.rpc.client(PresenceServiceClient);
    this.statusTypes = new StatusTypes(this.rpc);
    this.agents = new Agents(this.rpc);
  }

  /** Close the channel; calls in flight fail with CANCELLED. */
  close(): void {
    this.rpc.close();
  }

  // --- changing presence ------------------------------------------------------

  /**
   * Put the agent in a status: now, or during an activity as the upcoming
   * status (`outcome` says which). Over a per-shift limit: QuotaExceededError.
   */
  setStatus(
    agentId: string,
    statusTypeId: string,
    options: SetStatusOptions = {},
  ): Promise<PresenceChange> {
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
  cancelUpcomingStatus(agentId: string, options: ChangeOptions = {}): Promise<PresenceChange> {
    const requestId = options.requestId ?? newRequestId();
    return this.change(this.stub.cancelUpcomingStatus.bind(this.stub), requestId, {
      agentId,
      requestId,
    });
  }

  /** The agent began a call, chat or task named `externalId`. */
  startActivity(
    agentId: string,
    kind: ActivityKind,
    externalId: string,
    options: ChangeOptions = {},
  ): Promise<PresenceChange> {
    const requestId = options.requestId ?? newRequestId();
    return this.change(this.stub.startActivity.bind(this.stub), requestId, {
      agentId,
      kind,
      externalId,
      requestId,
    });
  }

  /** The activity ended; with the last one the upcoming status applies. */
  endActivity(
    agentId: string,
    externalId: string,
    options: ChangeOptions & { readonly wrapUpSeconds?: number } = {},
  ): Promise<PresenceChange> {
    const requestId = options.requestId ?? newRequestId();
    return this.change(this.stub.endActivity.bind(this.stub), requestId, {
      agentId,
      externalId,
      wrapUpSeconds: options.wrapUpSeconds,
      requestId,
    });
  }

  /** Open a shift (leaving Offline opens one by itself too). */
  startShift(agentId: string, options: ChangeOptions = {}): Promise<PresenceChange> {
    const requestId = options.requestId ?? newRequestId();
    return this.change(this.stub.startShift.bind(this.stub), requestId, {
      agentId,
      requestId,
    });
  }

  /** End the shift and go Offline; PreconditionFailedError during an activity. */
  endShift(
    agentId: string,
    options: ChangeOptions & { readonly reason?: string } = {},
  ): Promise<PresenceChange> {
    const requestId = options.requestId ?? newRequestId();
    return this.change(this.stub.endShift.bind(this.stub), requestId, {
      agentId,
      requestId,
      reason: options.reason ?? "",
    });
  }

  private change<Req>(
    method: UnaryMethod<Req, PresenceChange>,
    requestId: string,
    request: Req,
  ): Promise<PresenceChange> {
    return this.rpc.unary(method, request, { retry: true, requestId });
  }

  // --- reading presence --------------------------------------------------------

  /** One agent's live presence. */
  getPresence(agentId: string): Promise<AgentStatus> {
    return this.rpc.unary(this.stub.getPresence.bind(this.stub), { agentId }, { retry: true });
  }

  /** Live presence of the agents matching every given criterion, by id. */
  async listPresence(filter: PresenceFilterOptions = {}): Promise<AgentStatus[]> {
    const response = await this.rpc.unary(
      this.stub.listPresence.bind(this.stub),
      { filter: PresenceFilter.fromPartial(filter) },
      { retry: true },
    );
    return response.presences;
  }

  // --- streaming and sessions ------------------------------------------------------

  /**
   * Live presence of the matching agents: a snapshot, then every event,
   * reconnecting and resuming by itself (see {@link Subscription}).
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    return new Subscription(this.rpc, this.stub, options);
  }

  /** A session that keeps the agent connected (see {@link AgentSession}). */
  session(agentId: string, options: SessionOptions = {}): AgentSession {
    return new AgentSession(this.rpc, this.stub, agentId, options);
  }

  /** A lease session for backends that cannot hold a stream. */
  openSession(
    agentId: string,
    options: { client?: ClientKind; clientName?: string; ttlSeconds?: number } = {},
  ): Promise<OpenSessionResponse> {
    return this.rpc.unary(
      this.stub.openSession.bind(this.stub),
      {
        agentId,
        client: options.client ?? ClientKind.WEB,
        clientName: options.clientName ?? "",
        ttlSeconds: options.ttlSeconds ?? 0,
      },
      { retry: false },
    );
  }

  /** Extend a lease session. */
  keepAlive(sessionId: string): Promise<Session> {
    return this.rpc.unary(this.stub.keepAlive.bind(this.stub), { sessionId }, { retry: true });
  }

  /** End a lease session now; the agent's presence after it. */
  async closeSession(sessionId: string): Promise<AgentStatus | undefined> {
    const response = await this.rpc.unary(
      this.stub.closeSession.bind(this.stub),
      { sessionId },
      { retry: false },
    );
    return response.presence;
  }
}
