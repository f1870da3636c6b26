import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type CallOptions, type ChannelCredentials, Client, type ClientOptions, type ClientReadableStream, type ClientUnaryCall, type handleServerStreamingCall, type handleUnaryCall, type Metadata, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { ActivityKind, StatusKind, StatusRef } from "./common.js";
import { StatusType } from "./status_types.js";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/presence.proto";
/** How a change came about. */
export declare enum Source {
    UNSPECIFIED = 0,
    /** AGENT - The agent, from a desktop or web application. */
    AGENT = 1,
    /** SUPERVISOR - A supervisor, for the agent. */
    SUPERVISOR = 2,
    /** ACTIVITY - An activity started, ended or ran over its ceiling. */
    ACTIVITY = 3,
    /** TELEPHONY - The telephony platform (a change made on the phone). */
    TELEPHONY = 4,
    /** DISCONNECT - The last client connection was lost and the grace period passed. */
    DISCONNECT = 5,
    /** UPCOMING - The upcoming status applied when the last activity ended. */
    UPCOMING = 6,
    /** SYSTEM - The server itself: timers, shift maximum, administration. */
    SYSTEM = 7,
    UNRECOGNIZED = -1
}
export declare function sourceFromJSON(object: any): Source;
export declare function sourceToJSON(object: Source): string;
/** Whether the agent has a live client. */
export declare enum ConnectionState {
    UNSPECIFIED = 0,
    /** CONNECTED - At least one session (stream or lease) is alive. */
    CONNECTED = 1,
    /** GRACE - The last session was lost; the grace period is running. */
    GRACE = 2,
    /** DISCONNECTED - No session. */
    DISCONNECTED = 3,
    UNRECOGNIZED = -1
}
export declare function connectionStateFromJSON(object: any): ConnectionState;
export declare function connectionStateToJSON(object: ConnectionState): string;
export declare enum EventType {
    UNSPECIFIED = 0,
    STATUS_CHANGED = 1,
    UPCOMING_SET = 2,
    UPCOMING_CLEARED = 3,
    UPCOMING_APPLIED = 4,
    /**
     * UPCOMING_REJECTED - The upcoming status could no longer be entered when the activity
     * ended; the agent returned to the previous status. `reason` says why.
     */
    UPCOMING_REJECTED = 5,
    ACTIVITY_STARTED = 6,
    ACTIVITY_ENDED = 7,
    /** ACTIVITY_EXPIRED - An activity ran past the ceiling and was closed by the server. */
    ACTIVITY_EXPIRED = 8,
    WRAP_UP_STARTED = 9,
    WRAP_UP_ENDED = 10,
    OVERAGE_STARTED = 11,
    CONNECTION_LOST = 12,
    CONNECTION_RESTORED = 13,
    SHIFT_STARTED = 14,
    SHIFT_ENDED = 15,
    /** STATUS_TYPE_CHANGED - A status type was created, renamed, recolored, archived... */
    STATUS_TYPE_CHANGED = 16,
    AGENT_CHANGED = 17,
    UNRECOGNIZED = -1
}
export declare function eventTypeFromJSON(object: any): EventType;
export declare function eventTypeToJSON(object: EventType): string;
/** What a state-changing request did. */
export declare enum Outcome {
    UNSPECIFIED = 0,
    /** APPLIED - The change took effect now. */
    APPLIED = 1,
    /** UPCOMING - An activity is running: the status waits as the upcoming status. */
    UPCOMING = 2,
    /** UPCOMING_CLEARED - The waiting upcoming status was removed. */
    UPCOMING_CLEARED = 3,
    /** UNCHANGED - Nothing to do (already so); nothing was published. */
    UNCHANGED = 4,
    UNRECOGNIZED = -1
}
export declare function outcomeFromJSON(object: any): Outcome;
export declare function outcomeToJSON(object: Outcome): string;
/** Which application holds a session. */
export declare enum ClientKind {
    UNSPECIFIED = 0,
    DESKTOP = 1,
    WEB = 2,
    MOBILE = 3,
    INTEGRATION = 4,
    UNRECOGNIZED = -1
}
export declare function clientKindFromJSON(object: any): ClientKind;
export declare function clientKindToJSON(object: ClientKind): string;
/** One activity in progress: a call, a chat, a task. */
export interface Activity {
    kind: ActivityKind;
    /**
     * The caller's id for it (a call id): starting or ending it twice is
     * harmless.
     */
    externalId: string;
    startTime: Date | undefined;
}
/** An agent's live presence. */
export interface AgentStatus {
    agentId: string;
    displayName: string;
    team: string;
    /** The status the agent chose (or was put in); kept under activities. */
    status: StatusRef | undefined;
    /**
     * What is in effect: a SYSTEM type while an activity or wrap-up runs,
     * the chosen status otherwise. Routing decisions use this.
     */
    effectiveStatus: StatusRef | undefined;
    /** The status waiting for the last activity to end, if any. */
    upcomingStatus?: StatusRef | undefined;
    activities: Activity[];
    /** When the effective status began. */
    since: Date | undefined;
    /** When the current use of the chosen status began. */
    statusSince: Date | undefined;
    /** Seconds one use of the chosen status may last, 0 = unlimited. */
    allowedSeconds: number;
    /**
     * Seconds of the current use spent in the status itself (activities
     * excluded), as of `as_of`.
     */
    usedSeconds: number;
    /** When overage began, if the allowed time is passed. */
    overageSince?: Date | undefined;
    /** Uses of the chosen status in this shift, this one included. */
    usesThisShift: number;
    /** The chosen status's limit per shift, 0 = unlimited. */
    limitPerShift: number;
    connection: ConnectionState;
    /** Empty when no shift is open. */
    shiftId: string;
    shiftStart?: Date | undefined;
    /** Wrap-up ends at this instant, when wrap-up is running. */
    wrapUpUntil?: Date | undefined;
    /**
     * True when the agent can be offered work now: an AVAILABLE effective
     * status, no activity, connected.
     */
    routable: boolean;
    /**
     * Grows with every change to this agent; the global event revision of
     * the last change.
     */
    revision: number;
    /** The instant this view was computed. */
    asOf: Date | undefined;
}
/** One change, as stored in the event log and sent to subscribers. */
export interface PresenceEvent {
    /** Global, grows by one per event. */
    revision: number;
    type: EventType;
    time: Date | undefined;
    /** Empty for status type events. */
    agentId: string;
    previous?: AgentStatus | undefined;
    current?: AgentStatus | undefined;
    /** Set for EVENT_TYPE_STATUS_TYPE_CHANGED. */
    statusType?: StatusType | undefined;
    source: Source;
    /** Who did it: an agent id, a user, an adapter name, "system". */
    actor: string;
    /** Free text from the caller, or the server's explanation. */
    reason: string;
}
/** The answer to every request that may change presence. */
export interface PresenceChange {
    presence: AgentStatus | undefined;
    outcome: Outcome;
}
export interface SetStatusRequest {
    agentId: string;
    statusTypeId: string;
    /**
     * Client-made unique id (a UUID). A retry with the same id returns the
     * first result and never counts twice. Recommended; optional.
     */
    requestId: string;
    /** When set, refused with ABORTED unless it is the agent's revision. */
    expectedRevision?: number | undefined;
    /** Why, in the caller's words; kept in history. */
    reason: string;
    /** SOURCE_AGENT (default) or SOURCE_SUPERVISOR. */
    source: Source;
}
export interface CancelUpcomingStatusRequest {
    agentId: string;
    requestId: string;
}
export interface GetPresenceRequest {
    agentId: string;
}
export interface PresenceFilter {
    /** Only these agents, when given. */
    agentIds: string[];
    /** Only agents of these teams, when given. */
    teams: string[];
    /** Only agents whose effective status is one of these, when given. */
    statusTypeIds: string[];
    /** Only agents whose effective status is of these kinds, when given. */
    kinds: StatusKind[];
    /** Only agents that can be offered work now. */
    routableOnly: boolean;
    /** Only agents with (true) or without (false) an activity, when set. */
    inActivity?: boolean | undefined;
}
export interface ListPresenceRequest {
    filter: PresenceFilter | undefined;
}
export interface ListPresenceResponse {
    /** Ordered by agent id. */
    presences: AgentStatus[];
}
export interface StartActivityRequest {
    agentId: string;
    kind: ActivityKind;
    /**
     * The caller's id for the activity (a call id). Starting a running one
     * again changes nothing.
     */
    externalId: string;
    requestId: string;
}
export interface EndActivityRequest {
    agentId: string;
    /** Ending an unknown or already ended activity changes nothing. */
    externalId: string;
    /**
     * Wrap-up after this activity, overriding the configured time for its
     * kind when set.
     */
    wrapUpSeconds?: number | undefined;
    requestId: string;
}
export interface StartShiftRequest {
    agentId: string;
    requestId: string;
}
export interface EndShiftRequest {
    agentId: string;
    requestId: string;
    reason: string;
}
export interface ConnectRequest {
    agentId: string;
    client: ClientKind;
    /** Free text for logs and dashboards ("Edge 3.2 on PC-114"). */
    clientName: string;
}
/**
 * Pushed on a Connect stream: first the session and the presence, then the
 * presence after every change.
 */
export interface ConnectUpdate {
    sessionId: string;
    presence: AgentStatus | undefined;
}
export interface OpenSessionRequest {
    agentId: string;
    client: ClientKind;
    clientName: string;
    /**
     * How long the session lives without a KeepAlive. 0 = the server's
     * default; 5-300.
     */
    ttlSeconds: number;
}
export interface Session {
    sessionId: string;
    agentId: string;
    expireTime: Date | undefined;
    ttlSeconds: number;
}
export interface OpenSessionResponse {
    session: Session | undefined;
    presence: AgentStatus | undefined;
}
export interface KeepAliveRequest {
    sessionId: string;
}
export interface CloseSessionRequest {
    sessionId: string;
}
export interface CloseSessionResponse {
    presence: AgentStatus | undefined;
}
/** Which presence to stream, and from where. */
export interface SubscribePresenceRequest {
    /**
     * Which agents to follow; empty follows every agent. An agent event is
     * sent when the agent matched the filter before the change or matches
     * it after (so a client sees agents leave its view: drop an agent whose
     * `current` no longer matches). Status type events go to every
     * subscriber. `status_type_ids`, `kinds`, `routable_only` and
     * `in_activity` are judged on the presence in each event; a status type
     * changing kind does not re-judge agents already in it.
     */
    filter: PresenceFilter | undefined;
    /**
     * Start with a snapshot: the current presence of every matching agent,
     * in pages, ending with `snapshot_end`. Ignored when `from_revision` is
     * set and still retained (the missed events are sent instead).
     */
    includeSnapshot: boolean;
    /**
     * Resume after this revision (the `revision` of the last message the
     * client processed): every matching event after it is sent, then live
     * ones, with nothing lost or repeated. When the server no longer keeps
     * events that old (see the PRESENCE_EVENT_RETENTION setting), or the
     * revision is ahead of the server's, the stream starts with a fresh
     * snapshot flagged `resync` instead.
     */
    fromRevision?: number | undefined;
}
/**
 * One message of a SubscribePresence stream. Under load several events
 * travel in one message; when the load is light each goes out at once.
 *
 * A stream starts with either the snapshot (pages of `snapshot`, the last
 * one with `snapshot_end`) or, without a snapshot, a `heartbeat` message
 * giving the revision the stream starts after. Then come `events`, in
 * revision order, and a `heartbeat` whenever the stream was quiet for the
 * server's heartbeat interval (PRESENCE_STREAM_HEARTBEAT_SECONDS).
 *
 * A stream ends with a status: UNAVAILABLE when the server stops, and
 * RESOURCE_EXHAUSTED (reason SUBSCRIBER_TOO_SLOW) when the client reads
 * too slowly and the events waiting for it pass the server's bound
 * (PRESENCE_STREAM_MAX_PENDING): the server then drops what was waiting
 * and ends the stream after the messages already sent. Both carry the
 * revision to resume from in the ErrorInfo metadata `resume_revision`;
 * resubscribe with it as `from_revision`.
 */
export interface SubscribePresenceResponse {
    /** Changes in revision order, continuing the previous message's. */
    events: PresenceEvent[];
    /** One page of the snapshot: matching agents' presence, by agent id. */
    snapshot: AgentStatus[];
    /**
     * Set on the last snapshot page (which may be empty): the snapshot is
     * complete and reflects every change up to `revision`; events follow.
     */
    snapshotEnd: boolean;
    /**
     * Set on every snapshot page (and its end) sent because `from_revision`
     * could not be resumed: replace everything known with this snapshot.
     */
    resync: boolean;
    /**
     * Nothing to send for the heartbeat interval (or, first on a stream
     * without snapshot, the stream is open). Carries only `revision`.
     */
    heartbeat: boolean;
    /**
     * The stream has delivered every matching change up to this revision:
     * the value to resume from. 0 on snapshot pages before `snapshot_end`,
     * which are not a place to resume from.
     */
    revision: number;
}
export declare const Activity: MessageFns<Activity>;
export declare const AgentStatus: MessageFns<AgentStatus>;
export declare const PresenceEvent: MessageFns<PresenceEvent>;
export declare const PresenceChange: MessageFns<PresenceChange>;
export declare const SetStatusRequest: MessageFns<SetStatusRequest>;
export declare const CancelUpcomingStatusRequest: MessageFns<CancelUpcomingStatusRequest>;
export declare const GetPresenceRequest: MessageFns<GetPresenceRequest>;
export declare const PresenceFilter: MessageFns<PresenceFilter>;
export declare const ListPresenceRequest: MessageFns<ListPresenceRequest>;
export declare const ListPresenceResponse: MessageFns<ListPresenceResponse>;
export declare const StartActivityRequest: MessageFns<StartActivityRequest>;
export declare const EndActivityRequest: MessageFns<EndActivityRequest>;
export declare const StartShiftRequest: MessageFns<StartShiftRequest>;
export declare const EndShiftRequest: MessageFns<EndShiftRequest>;
export declare const ConnectRequest: MessageFns<ConnectRequest>;
export declare const ConnectUpdate: MessageFns<ConnectUpdate>;
export declare const OpenSessionRequest: MessageFns<OpenSessionRequest>;
export declare const Session: MessageFns<Session>;
export declare const OpenSessionResponse: MessageFns<OpenSessionResponse>;
export declare const KeepAliveRequest: MessageFns<KeepAliveRequest>;
export declare const CloseSessionRequest: MessageFns<CloseSessionRequest>;
export declare const CloseSessionResponse: MessageFns<CloseSessionResponse>;
export declare const SubscribePresenceRequest: MessageFns<SubscribePresenceRequest>;
export declare const SubscribePresenceResponse: MessageFns<SubscribePresenceResponse>;
/** Live agent presence: changing status, activities, shifts and sessions. */
export type PresenceServiceService = typeof PresenceServiceService;
export declare const PresenceServiceService: {
    readonly setStatus: {
        readonly path: "/presence.v1.PresenceService/SetStatus";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: SetStatusRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => SetStatusRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    readonly cancelUpcomingStatus: {
        readonly path: "/presence.v1.PresenceService/CancelUpcomingStatus";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: CancelUpcomingStatusRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => CancelUpcomingStatusRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    readonly getPresence: {
        readonly path: "/presence.v1.PresenceService/GetPresence";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetPresenceRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetPresenceRequest;
        readonly responseSerialize: (value: AgentStatus) => Buffer;
        readonly responseDeserialize: (value: Buffer) => AgentStatus;
    };
    readonly listPresence: {
        readonly path: "/presence.v1.PresenceService/ListPresence";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: ListPresenceRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ListPresenceRequest;
        readonly responseSerialize: (value: ListPresenceResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => ListPresenceResponse;
    };
    readonly startActivity: {
        readonly path: "/presence.v1.PresenceService/StartActivity";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: StartActivityRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => StartActivityRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    readonly endActivity: {
        readonly path: "/presence.v1.PresenceService/EndActivity";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: EndActivityRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => EndActivityRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    readonly startShift: {
        readonly path: "/presence.v1.PresenceService/StartShift";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: StartShiftRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => StartShiftRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    readonly endShift: {
        readonly path: "/presence.v1.PresenceService/EndShift";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: EndShiftRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => EndShiftRequest;
        readonly responseSerialize: (value: PresenceChange) => Buffer;
        readonly responseDeserialize: (value: Buffer) => PresenceChange;
    };
    /** The agent's client is connected while this stream is open. */
    readonly connect: {
        readonly path: "/presence.v1.PresenceService/Connect";
        readonly requestStream: false;
        readonly responseStream: true;
        readonly requestSerialize: (value: ConnectRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ConnectRequest;
        readonly responseSerialize: (value: ConnectUpdate) => Buffer;
        readonly responseDeserialize: (value: Buffer) => ConnectUpdate;
    };
    /** For backends that cannot hold a stream: a session kept by KeepAlive. */
    readonly openSession: {
        readonly path: "/presence.v1.PresenceService/OpenSession";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: OpenSessionRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => OpenSessionRequest;
        readonly responseSerialize: (value: OpenSessionResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => OpenSessionResponse;
    };
    readonly keepAlive: {
        readonly path: "/presence.v1.PresenceService/KeepAlive";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: KeepAliveRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => KeepAliveRequest;
        readonly responseSerialize: (value: Session) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Session;
    };
    readonly closeSession: {
        readonly path: "/presence.v1.PresenceService/CloseSession";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: CloseSessionRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => CloseSessionRequest;
        readonly responseSerialize: (value: CloseSessionResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => CloseSessionResponse;
    };
    /**
     * Live presence for dashboards, routing engines and partners: a snapshot
     * or a resume, then every change as it commits (see
     * SubscribePresenceResponse). Not a session: subscribing never changes
     * any agent's connection state.
     */
    readonly subscribePresence: {
        readonly path: "/presence.v1.PresenceService/SubscribePresence";
        readonly requestStream: false;
        readonly responseStream: true;
        readonly requestSerialize: (value: SubscribePresenceRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => SubscribePresenceRequest;
        readonly responseSerialize: (value: SubscribePresenceResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => SubscribePresenceResponse;
    };
};
export interface PresenceServiceServer extends UntypedServiceImplementation {
    setStatus: handleUnaryCall<SetStatusRequest, PresenceChange>;
    cancelUpcomingStatus: handleUnaryCall<CancelUpcomingStatusRequest, PresenceChange>;
    getPresence: handleUnaryCall<GetPresenceRequest, AgentStatus>;
    listPresence: handleUnaryCall<ListPresenceRequest, ListPresenceResponse>;
    startActivity: handleUnaryCall<StartActivityRequest, PresenceChange>;
    endActivity: handleUnaryCall<EndActivityRequest, PresenceChange>;
    startShift: handleUnaryCall<StartShiftRequest, PresenceChange>;
    endShift: handleUnaryCall<EndShiftRequest, PresenceChange>;
    /** The agent's client is connected while this stream is open. */
    connect: handleServerStreamingCall<ConnectRequest, ConnectUpdate>;
    /** For backends that cannot hold a stream: a session kept by KeepAlive. */
    openSession: handleUnaryCall<OpenSessionRequest, OpenSessionResponse>;
    keepAlive: handleUnaryCall<KeepAliveRequest, Session>;
    closeSession: handleUnaryCall<CloseSessionRequest, CloseSessionResponse>;
    /**
     * Live presence for dashboards, routing engines and partners: a snapshot
     * or a resume, then every change as it commits (see
     * SubscribePresenceResponse). Not a session: subscribing never changes
     * any agent's connection state.
     */
    subscribePresence: handleServerStreamingCall<SubscribePresenceRequest, SubscribePresenceResponse>;
}
export interface PresenceServiceClient extends Client {
    setStatus(request: SetStatusRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    setStatus(request: SetStatusRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    setStatus(request: SetStatusRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    cancelUpcomingStatus(request: CancelUpcomingStatusRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    cancelUpcomingStatus(request: CancelUpcomingStatusRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    cancelUpcomingStatus(request: CancelUpcomingStatusRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    getPresence(request: GetPresenceRequest, callback: (error: ServiceError | null, response: AgentStatus) => void): ClientUnaryCall;
    getPresence(request: GetPresenceRequest, metadata: Metadata, callback: (error: ServiceError | null, response: AgentStatus) => void): ClientUnaryCall;
    getPresence(request: GetPresenceRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: AgentStatus) => void): ClientUnaryCall;
    listPresence(request: ListPresenceRequest, callback: (error: ServiceError | null, response: ListPresenceResponse) => void): ClientUnaryCall;
    listPresence(request: ListPresenceRequest, metadata: Metadata, callback: (error: ServiceError | null, response: ListPresenceResponse) => void): ClientUnaryCall;
    listPresence(request: ListPresenceRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: ListPresenceResponse) => void): ClientUnaryCall;
    startActivity(request: StartActivityRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    startActivity(request: StartActivityRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    startActivity(request: StartActivityRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endActivity(request: EndActivityRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endActivity(request: EndActivityRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endActivity(request: EndActivityRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    startShift(request: StartShiftRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    startShift(request: StartShiftRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    startShift(request: StartShiftRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endShift(request: EndShiftRequest, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endShift(request: EndShiftRequest, metadata: Metadata, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    endShift(request: EndShiftRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: PresenceChange) => void): ClientUnaryCall;
    /** The agent's client is connected while this stream is open. */
    connect(request: ConnectRequest, options?: Partial<CallOptions>): ClientReadableStream<ConnectUpdate>;
    connect(request: ConnectRequest, metadata?: Metadata, options?: Partial<CallOptions>): ClientReadableStream<ConnectUpdate>;
    /** For backends that cannot hold a stream: a session kept by KeepAlive. */
    openSession(request: OpenSessionRequest, callback: (error: ServiceError | null, response: OpenSessionResponse) => void): ClientUnaryCall;
    openSession(request: OpenSessionRequest, metadata: Metadata, callback: (error: ServiceError | null, response: OpenSessionResponse) => void): ClientUnaryCall;
    openSession(request: OpenSessionRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: OpenSessionResponse) => void): ClientUnaryCall;
    keepAlive(request: KeepAliveRequest, callback: (error: ServiceError | null, response: Session) => void): ClientUnaryCall;
    keepAlive(request: KeepAliveRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Session) => void): ClientUnaryCall;
    keepAlive(request: KeepAliveRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Session) => void): ClientUnaryCall;
    closeSession(request: CloseSessionRequest, callback: (error: ServiceError | null, response: CloseSessionResponse) => void): ClientUnaryCall;
    closeSession(request: CloseSessionRequest, metadata: Metadata, callback: (error: ServiceError | null, response: CloseSessionResponse) => void): ClientUnaryCall;
    closeSession(request: CloseSessionRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: CloseSessionResponse) => void): ClientUnaryCall;
    /**
     * Live presence for dashboards, routing engines and partners: a snapshot
     * or a resume, then every change as it commits (see
     * SubscribePresenceResponse). Not a session: subscribing never changes
     * any agent's connection state.
     */
    subscribePresence(request: SubscribePresenceRequest, options?: Partial<CallOptions>): ClientReadableStream<SubscribePresenceResponse>;
    subscribePresence(request: SubscribePresenceRequest, metadata?: Metadata, options?: Partial<CallOptions>): ClientReadableStream<SubscribePresenceResponse>;
}
export declare const PresenceServiceClient: {
    new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): PresenceServiceClient;
    service: typeof PresenceServiceService;
    serviceName: string;
};
type Builtin = Date | Function | Uint8Array | string | number | boolean | undefined;
export type DeepPartial<T> = T extends Builtin ? T : T extends globalThis.Array<infer U> ? globalThis.Array<DeepPartial<U>> : T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepPartial<U>> : T extends {
    $case: string;
    value: unknown;
} ? {
    $case: T["$case"];
    value?: DeepPartial<T["value"]>;
} : T extends {} ? {
    [K in keyof T]?: DeepPartial<T[K]>;
} : Partial<T>;
type KeysOfUnion<T> = T extends T ? keyof T : never;
export type Exact<P, I extends P> = P extends Builtin ? P : P & {
    [K in keyof P]: Exact<P[K], I[K]>;
} & {
    [K in Exclude<keyof I, KeysOfUnion<P>>]: never;
};
export interface MessageFns<T> {
    encode(message: T, writer?: BinaryWriter): BinaryWriter;
    decode(input: BinaryReader | Uint8Array, length?: number): T;
    fromJSON(object: any): T;
    toJSON(message: T): unknown;
    create<I extends Exact<DeepPartial<T>, I>>(base?: I): T;
    fromPartial<I extends Exact<DeepPartial<T>, I>>(object: I): T;
}
export {};
