import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type CallOptions, type ChannelCredentials, Client, type ClientOptions, type ClientUnaryCall, type handleUnaryCall, type Metadata, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { ActivityKind, StatusRef } from "./common.js";
import { Source } from "./presence.js";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/reports.proto";
/** How a report's range is cut into rows. */
export declare enum ReportGrouping {
    UNSPECIFIED = 0,
    /**
     * DAY - One row per local day of the report's time zone (midnight to midnight;
     * 23 or 25 hours across a daylight-saving change).
     */
    DAY = 1,
    /** SHIFT - One row per shift of the agent touching the range (agent reports only). */
    SHIFT = 2,
    /**
     * INTERVAL - One row per bucket of `interval_minutes`, starting at local multiples of
     * it (as staffing is planned).
     */
    INTERVAL = 3,
    UNRECOGNIZED = -1
}
export declare function reportGroupingFromJSON(object: any): ReportGrouping;
export declare function reportGroupingToJSON(object: ReportGrouping): string;
/** Time in one status type within one row. */
export interface StatusTime {
    /** Archived and deleted types keep their names in reports. */
    status: StatusRef | undefined;
    seconds: number;
    /**
     * Uses that began in the row. Returning to a status after an activity
     * interrupted it is not a new use.
     */
    uses: number;
    /**
     * Periods in effect during the row; a period crossing the row's start or
     * end counts in each row it touches.
     */
    periods: number;
    /** Time past the allowed minutes of a use. */
    overageSeconds: number;
}
/** Activities of one kind within one row. */
export interface ActivityTime {
    kind: ActivityKind;
    /** Activities that started in the row. */
    count: number;
    /** Their time within the row, added up (overlapping ones each count). */
    seconds: number;
}
/**
 * The figures of one group. Time is the part of each period or activity
 * inside [start_time, end_time): whatever crosses a row's edge is split
 * between rows, so the rows' seconds add up to the range's total.
 */
export interface ReportRow {
    startTime: Date | undefined;
    endTime: Date | undefined;
    /**
     * For people, in the report's zone: "1999-02-01" for a day, the local
     * start with its UTC offset for an interval or a shift.
     */
    label: string;
    /** SHIFT rows only. */
    shiftId: string;
    /** Statuses with time, uses or periods in the row, in status order. */
    statuses: StatusTime[];
    /** In a shift, in any status but Offline. */
    loggedInSeconds: number;
    /** In an AVAILABLE status with no activity running. */
    availableSeconds: number;
    /** While at least one activity ran (overlapping activities count once). */
    activitySeconds: number;
    /** Every activity's time added up (talk time; overlaps count twice). */
    activityTotalSeconds: number;
    activities: ActivityTime[];
    wrapUpSeconds: number;
    /** (activity + wrap-up) / (activity + wrap-up + available); 0 when that is 0. */
    occupancy: number;
    /** The first and last instants in the row at which an activity ran. */
    firstActivityTime?: Date | undefined;
    lastActivityTime?: Date | undefined;
    /** Agents logged in during the row (0 or 1 in an agent report). */
    agents: number;
}
export interface GetAgentReportRequest {
    agentId: string;
    /** The range [start_time, end_time), at most 400 days (31 with INTERVAL). */
    startTime: Date | undefined;
    endTime: Date | undefined;
    /**
     * IANA time zone for day and interval boundaries ("Asia/Jerusalem");
     * empty means UTC.
     */
    timeZone: string;
    grouping: ReportGrouping;
    /** 15, 30 or 60 with REPORT_GROUPING_INTERVAL; 0 otherwise. */
    intervalMinutes: number;
}
export interface AgentReport {
    agentId: string;
    displayName: string;
    team: string;
    timeZone: string;
    grouping: ReportGrouping;
    intervalMinutes: number;
    /** The instant the report was made: what is still open counts up to it. */
    asOf: Date | undefined;
    /** In time order. */
    rows: ReportRow[];
    /**
     * The whole range as one row (with SHIFT grouping, time outside shifts
     * too).
     */
    total: ReportRow | undefined;
}
export interface GetTeamReportRequest {
    team: string;
    startTime: Date | undefined;
    endTime: Date | undefined;
    timeZone: string;
    /** DAY or INTERVAL. */
    grouping: ReportGrouping;
    intervalMinutes: number;
}
/**
 * A team's report: its agents' figures added up per row; occupancy is
 * computed from the sums.
 */
export interface TeamReport {
    team: string;
    /** The team's agents (archived ones included), by id. */
    agentIds: string[];
    timeZone: string;
    grouping: ReportGrouping;
    intervalMinutes: number;
    asOf: Date | undefined;
    rows: ReportRow[];
    total: ReportRow | undefined;
}
export interface GetAgentTimelineRequest {
    agentId: string;
    /** Periods touching [start_time, end_time), at most 400 days. */
    startTime: Date | undefined;
    endTime: Date | undefined;
    /** 0 = 500; at most 5000. */
    pageSize: number;
    /** From the previous page, with the same agent and range. */
    pageToken: string;
}
/** One stretch of time in one effective status. */
export interface TimelinePeriod {
    status: StatusRef | undefined;
    /** The period's own start and end (not cut to the requested range). */
    startTime: Date | undefined;
    endTime: Date | undefined;
    /** How it was entered, by whom, and why. */
    source: Source;
    actor: string;
    reason: string;
    /** The shift it was recorded in; empty outside a shift. */
    shiftId: string;
    /** True when it began a new use of its status. */
    newUse: boolean;
    overageSeconds: number;
    /** The current period: end_time is `as_of`, and it goes on. */
    open: boolean;
}
export interface AgentTimeline {
    agentId: string;
    /** Oldest first; the open period comes last, on the last page. */
    periods: TimelinePeriod[];
    /** Empty on the last page. */
    nextPageToken: string;
    asOf: Date | undefined;
}
export declare const StatusTime: MessageFns<StatusTime>;
export declare const ActivityTime: MessageFns<ActivityTime>;
export declare const ReportRow: MessageFns<ReportRow>;
export declare const GetAgentReportRequest: MessageFns<GetAgentReportRequest>;
export declare const AgentReport: MessageFns<AgentReport>;
export declare const GetTeamReportRequest: MessageFns<GetTeamReportRequest>;
export declare const TeamReport: MessageFns<TeamReport>;
export declare const GetAgentTimelineRequest: MessageFns<GetAgentTimelineRequest>;
export declare const TimelinePeriod: MessageFns<TimelinePeriod>;
export declare const AgentTimeline: MessageFns<AgentTimeline>;
/**
 * Figures of how working time was spent, computed from the stored history of
 * periods and activities (and what is still open, up to now).
 */
export type ReportServiceService = typeof ReportServiceService;
export declare const ReportServiceService: {
    readonly getAgentReport: {
        readonly path: "/presence.v1.ReportService/GetAgentReport";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetAgentReportRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetAgentReportRequest;
        readonly responseSerialize: (value: AgentReport) => Buffer;
        readonly responseDeserialize: (value: Buffer) => AgentReport;
    };
    readonly getTeamReport: {
        readonly path: "/presence.v1.ReportService/GetTeamReport";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetTeamReportRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetTeamReportRequest;
        readonly responseSerialize: (value: TeamReport) => Buffer;
        readonly responseDeserialize: (value: Buffer) => TeamReport;
    };
    readonly getAgentTimeline: {
        readonly path: "/presence.v1.ReportService/GetAgentTimeline";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetAgentTimelineRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetAgentTimelineRequest;
        readonly responseSerialize: (value: AgentTimeline) => Buffer;
        readonly responseDeserialize: (value: Buffer) => AgentTimeline;
    };
};
export interface ReportServiceServer extends UntypedServiceImplementation {
    getAgentReport: handleUnaryCall<GetAgentReportRequest, AgentReport>;
    getTeamReport: handleUnaryCall<GetTeamReportRequest, TeamReport>;
    getAgentTimeline: handleUnaryCall<GetAgentTimelineRequest, AgentTimeline>;
}
export interface ReportServiceClient extends Client {
    getAgentReport(request: GetAgentReportRequest, callback: (error: ServiceError | null, response: AgentReport) => void): ClientUnaryCall;
    getAgentReport(request: GetAgentReportRequest, metadata: Metadata, callback: (error: ServiceError | null, response: AgentReport) => void): ClientUnaryCall;
    getAgentReport(request: GetAgentReportRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: AgentReport) => void): ClientUnaryCall;
    getTeamReport(request: GetTeamReportRequest, callback: (error: ServiceError | null, response: TeamReport) => void): ClientUnaryCall;
    getTeamReport(request: GetTeamReportRequest, metadata: Metadata, callback: (error: ServiceError | null, response: TeamReport) => void): ClientUnaryCall;
    getTeamReport(request: GetTeamReportRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: TeamReport) => void): ClientUnaryCall;
    getAgentTimeline(request: GetAgentTimelineRequest, callback: (error: ServiceError | null, response: AgentTimeline) => void): ClientUnaryCall;
    getAgentTimeline(request: GetAgentTimelineRequest, metadata: Metadata, callback: (error: ServiceError | null, response: AgentTimeline) => void): ClientUnaryCall;
    getAgentTimeline(request: GetAgentTimelineRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: AgentTimeline) => void): ClientUnaryCall;
}
export declare const ReportServiceClient: {
    new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): ReportServiceClient;
    service: typeof ReportServiceService;
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
