import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type CallOptions, type ChannelCredentials, Client, type ClientOptions, type ClientUnaryCall, type handleUnaryCall, type Metadata, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { Empty } from "../../google/protobuf/empty.js";
import { StatusKind } from "./common.js";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/status_types.proto";
/**
 * What a status means on one telephony platform. Each adapter reads the
 * fields it understands and ignores the rest.
 */
export interface TelephonyMapping {
    /**
     * A presence profile name (3CX "Away", "Out of office", ...) or an
     * Asterisk custom presence value.
     */
    presenceProfile: string;
    /** The reason given with a queue pause (Asterisk `PausedReason`). */
    pauseReason: string;
    /** Put the extension in do-not-disturb while in this status. */
    doNotDisturb: boolean;
    /** Adapter-specific settings, free form. */
    options: {
        [key: string]: string;
    };
}
export interface TelephonyMapping_OptionsEntry {
    key: string;
    value: string;
}
/** A status an agent can be in, configured by an administrator. */
export interface StatusType {
    /**
     * Stable identifier, never reused. Chosen at creation or generated.
     * Output only except in CreateStatusTypeRequest.status_type_id.
     */
    id: string;
    /** Short and unique among non-archived types, compared case-insensitively. */
    name: string;
    /** "#RRGGBB". */
    color: string;
    /** Immutable for built-in types. */
    kind: StatusKind;
    /**
     * When every client connection of the agent is lost, keep the status
     * instead of going Offline.
     */
    keepOnDisconnect: boolean;
    /** The agent may end the shift while in this status. */
    canEndShift: boolean;
    /** Uses allowed per shift, 0 = unlimited. 0-1000. */
    limitPerShift: number;
    /**
     * Minutes one use may last before overage is tracked, 0 = unlimited.
     * 0-1440.
     */
    allowedMinutes: number;
    /** Telephony: ring the agent's mobile with incoming calls. */
    ringMobile: boolean;
    /**
     * Telephony: logged into call queues while in this status. Defaults to
     * true for AVAILABLE types and false otherwise when not given.
     */
    queueLogin?: boolean | undefined;
    /** Telephony: external calls allowed. Defaults like queue_login. */
    externalCalls?: boolean | undefined;
    /** Per adapter name ("asterisk", "3cx", ...): what the status means there. */
    telephony: {
        [key: string]: TelephonyMapping;
    };
    /**
     * Agents may pick it. Never true for SYSTEM types. Defaults to true for
     * AVAILABLE and UNAVAILABLE types when not given.
     */
    selectable?: boolean | undefined;
    /** Position in menus, ascending. */
    sortOrder: number;
    /**
     * Output only. Archived types stay in history and reports but can no
     * longer be entered. Use ArchiveStatusType / UnarchiveStatusType.
     */
    archived: boolean;
    /** Output only. Built-in types cannot be deleted, archived or change kind. */
    builtIn: boolean;
    /** Output only. */
    createTime: Date | undefined;
    /** Output only. */
    updateTime: Date | undefined;
    /**
     * Output only. Changes with every update; send it back to update only
     * the version you read.
     */
    etag: string;
}
export interface StatusType_TelephonyEntry {
    key: string;
    value: TelephonyMapping | undefined;
}
export interface CreateStatusTypeRequest {
    statusType: StatusType | undefined;
    /**
     * Optional id: lower-case letters, digits and dashes, starting with a
     * letter, at most 63 characters. Generated when empty.
     */
    statusTypeId: string;
}
export interface GetStatusTypeRequest {
    id: string;
}
export interface ListStatusTypesRequest {
    /** Also return archived types. */
    includeArchived: boolean;
    /** Only this kind, when set. */
    kind: StatusKind;
    /** Only types agents may pick. */
    selectableOnly: boolean;
}
export interface ListStatusTypesResponse {
    /** In menu order: sort_order, then name. */
    statusTypes: StatusType[];
}
export interface UpdateStatusTypeRequest {
    /** Must carry the id. When etag is set it must match the stored one. */
    statusType: StatusType | undefined;
    /**
     * Fields to change. Required: an empty mask changes nothing and is
     * refused.
     */
    updateMask: string[] | undefined;
}
export interface ArchiveStatusTypeRequest {
    id: string;
    /** When set, must match the stored etag. */
    etag: string;
}
export interface UnarchiveStatusTypeRequest {
    id: string;
    etag: string;
}
export interface DeleteStatusTypeRequest {
    id: string;
    etag: string;
}
export declare const TelephonyMapping: MessageFns<TelephonyMapping>;
export declare const TelephonyMapping_OptionsEntry: MessageFns<TelephonyMapping_OptionsEntry>;
export declare const StatusType: MessageFns<StatusType>;
export declare const StatusType_TelephonyEntry: MessageFns<StatusType_TelephonyEntry>;
export declare const CreateStatusTypeRequest: MessageFns<CreateStatusTypeRequest>;
export declare const GetStatusTypeRequest: MessageFns<GetStatusTypeRequest>;
export declare const ListStatusTypesRequest: MessageFns<ListStatusTypesRequest>;
export declare const ListStatusTypesResponse: MessageFns<ListStatusTypesResponse>;
export declare const UpdateStatusTypeRequest: MessageFns<UpdateStatusTypeRequest>;
export declare const ArchiveStatusTypeRequest: MessageFns<ArchiveStatusTypeRequest>;
export declare const UnarchiveStatusTypeRequest: MessageFns<UnarchiveStatusTypeRequest>;
export declare const DeleteStatusTypeRequest: MessageFns<DeleteStatusTypeRequest>;
/** Administration of status types. */
export type StatusTypeServiceService = typeof StatusTypeServiceService;
export declare const StatusTypeServiceService: {
    readonly createStatusType: {
        readonly path: "/presence.v1.StatusTypeService/CreateStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: CreateStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => CreateStatusTypeRequest;
        readonly responseSerialize: (value: StatusType) => Buffer;
        readonly responseDeserialize: (value: Buffer) => StatusType;
    };
    readonly getStatusType: {
        readonly path: "/presence.v1.StatusTypeService/GetStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetStatusTypeRequest;
        readonly responseSerialize: (value: StatusType) => Buffer;
        readonly responseDeserialize: (value: Buffer) => StatusType;
    };
    readonly listStatusTypes: {
        readonly path: "/presence.v1.StatusTypeService/ListStatusTypes";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: ListStatusTypesRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ListStatusTypesRequest;
        readonly responseSerialize: (value: ListStatusTypesResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => ListStatusTypesResponse;
    };
    readonly updateStatusType: {
        readonly path: "/presence.v1.StatusTypeService/UpdateStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: UpdateStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => UpdateStatusTypeRequest;
        readonly responseSerialize: (value: StatusType) => Buffer;
        readonly responseDeserialize: (value: Buffer) => StatusType;
    };
    /** Archived types can no longer be entered; history keeps them. */
    readonly archiveStatusType: {
        readonly path: "/presence.v1.StatusTypeService/ArchiveStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: ArchiveStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ArchiveStatusTypeRequest;
        readonly responseSerialize: (value: StatusType) => Buffer;
        readonly responseDeserialize: (value: Buffer) => StatusType;
    };
    readonly unarchiveStatusType: {
        readonly path: "/presence.v1.StatusTypeService/UnarchiveStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: UnarchiveStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => UnarchiveStatusTypeRequest;
        readonly responseSerialize: (value: StatusType) => Buffer;
        readonly responseDeserialize: (value: Buffer) => StatusType;
    };
    /** Only for a type that was never used; archive it otherwise. */
    readonly deleteStatusType: {
        readonly path: "/presence.v1.StatusTypeService/DeleteStatusType";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: DeleteStatusTypeRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => DeleteStatusTypeRequest;
        readonly responseSerialize: (value: Empty) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Empty;
    };
};
export interface StatusTypeServiceServer extends UntypedServiceImplementation {
    createStatusType: handleUnaryCall<CreateStatusTypeRequest, StatusType>;
    getStatusType: handleUnaryCall<GetStatusTypeRequest, StatusType>;
    listStatusTypes: handleUnaryCall<ListStatusTypesRequest, ListStatusTypesResponse>;
    updateStatusType: handleUnaryCall<UpdateStatusTypeRequest, StatusType>;
    /** Archived types can no longer be entered; history keeps them. */
    archiveStatusType: handleUnaryCall<ArchiveStatusTypeRequest, StatusType>;
    unarchiveStatusType: handleUnaryCall<UnarchiveStatusTypeRequest, StatusType>;
    /** Only for a type that was never used; archive it otherwise. */
    deleteStatusType: handleUnaryCall<DeleteStatusTypeRequest, Empty>;
}
export interface StatusTypeServiceClient extends Client {
    createStatusType(request: CreateStatusTypeRequest, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    createStatusType(request: CreateStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    createStatusType(request: CreateStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    getStatusType(request: GetStatusTypeRequest, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    getStatusType(request: GetStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    getStatusType(request: GetStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    listStatusTypes(request: ListStatusTypesRequest, callback: (error: ServiceError | null, response: ListStatusTypesResponse) => void): ClientUnaryCall;
    listStatusTypes(request: ListStatusTypesRequest, metadata: Metadata, callback: (error: ServiceError | null, response: ListStatusTypesResponse) => void): ClientUnaryCall;
    listStatusTypes(request: ListStatusTypesRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: ListStatusTypesResponse) => void): ClientUnaryCall;
    updateStatusType(request: UpdateStatusTypeRequest, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    updateStatusType(request: UpdateStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    updateStatusType(request: UpdateStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    /** Archived types can no longer be entered; history keeps them. */
    archiveStatusType(request: ArchiveStatusTypeRequest, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    archiveStatusType(request: ArchiveStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    archiveStatusType(request: ArchiveStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    unarchiveStatusType(request: UnarchiveStatusTypeRequest, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    unarchiveStatusType(request: UnarchiveStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    unarchiveStatusType(request: UnarchiveStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: StatusType) => void): ClientUnaryCall;
    /** Only for a type that was never used; archive it otherwise. */
    deleteStatusType(request: DeleteStatusTypeRequest, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
    deleteStatusType(request: DeleteStatusTypeRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
    deleteStatusType(request: DeleteStatusTypeRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
}
export declare const StatusTypeServiceClient: {
    new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): StatusTypeServiceClient;
    service: typeof StatusTypeServiceService;
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
