import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type CallOptions, type ChannelCredentials, Client, type ClientOptions, type ClientUnaryCall, type handleUnaryCall, type Metadata, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { Empty } from "../../google/protobuf/empty.js";
import { Role } from "./common.js";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/agents.proto";
/** A person whose status the server owns. */
export interface Agent {
    /**
     * Chosen by the administrator (a login or an employee number): letters,
     * digits, ".", "_", "@" and "-", at most 128 characters.
     */
    id: string;
    /** 1-128 characters. */
    displayName: string;
    /** Team name; supervisors see and manage their teams. May be empty. */
    team: string;
    /** Telephony extension (digits, "*" or "#"), empty when none. */
    extension: string;
    /** E.164 mobile number ("+972541234567"), empty when none. */
    mobileNumber: string;
    /** Call queues the agent belongs to. */
    queues: string[];
    role: Role;
    /**
     * Output only. Archived agents keep their history but can no longer
     * change status.
     */
    archived: boolean;
    /** Output only. */
    createTime: Date | undefined;
    /** Output only. */
    updateTime: Date | undefined;
    /** Output only. */
    etag: string;
}
export interface CreateAgentRequest {
    /** agent.id is required. */
    agent: Agent | undefined;
}
export interface GetAgentRequest {
    id: string;
}
export interface ListAgentsRequest {
    /** Only this team, when set. */
    team: string;
    includeArchived: boolean;
    /** At most this many, 0 = the default of 1000. At most 1000. */
    pageSize: number;
    /** From a previous response's next_page_token. */
    pageToken: string;
}
export interface ListAgentsResponse {
    /** Ordered by id. */
    agents: Agent[];
    /** Empty on the last page. */
    nextPageToken: string;
}
export interface UpdateAgentRequest {
    agent: Agent | undefined;
    updateMask: string[] | undefined;
}
export interface ArchiveAgentRequest {
    id: string;
    etag: string;
}
export interface UnarchiveAgentRequest {
    id: string;
    etag: string;
}
export interface DeleteAgentRequest {
    id: string;
    etag: string;
}
export declare const Agent: MessageFns<Agent>;
export declare const CreateAgentRequest: MessageFns<CreateAgentRequest>;
export declare const GetAgentRequest: MessageFns<GetAgentRequest>;
export declare const ListAgentsRequest: MessageFns<ListAgentsRequest>;
export declare const ListAgentsResponse: MessageFns<ListAgentsResponse>;
export declare const UpdateAgentRequest: MessageFns<UpdateAgentRequest>;
export declare const ArchiveAgentRequest: MessageFns<ArchiveAgentRequest>;
export declare const UnarchiveAgentRequest: MessageFns<UnarchiveAgentRequest>;
export declare const DeleteAgentRequest: MessageFns<DeleteAgentRequest>;
/** Administration of agents. */
export type AgentServiceService = typeof AgentServiceService;
export declare const AgentServiceService: {
    readonly createAgent: {
        readonly path: "/presence.v1.AgentService/CreateAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: CreateAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => CreateAgentRequest;
        readonly responseSerialize: (value: Agent) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Agent;
    };
    readonly getAgent: {
        readonly path: "/presence.v1.AgentService/GetAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetAgentRequest;
        readonly responseSerialize: (value: Agent) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Agent;
    };
    readonly listAgents: {
        readonly path: "/presence.v1.AgentService/ListAgents";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: ListAgentsRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ListAgentsRequest;
        readonly responseSerialize: (value: ListAgentsResponse) => Buffer;
        readonly responseDeserialize: (value: Buffer) => ListAgentsResponse;
    };
    readonly updateAgent: {
        readonly path: "/presence.v1.AgentService/UpdateAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: UpdateAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => UpdateAgentRequest;
        readonly responseSerialize: (value: Agent) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Agent;
    };
    readonly archiveAgent: {
        readonly path: "/presence.v1.AgentService/ArchiveAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: ArchiveAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => ArchiveAgentRequest;
        readonly responseSerialize: (value: Agent) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Agent;
    };
    readonly unarchiveAgent: {
        readonly path: "/presence.v1.AgentService/UnarchiveAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: UnarchiveAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => UnarchiveAgentRequest;
        readonly responseSerialize: (value: Agent) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Agent;
    };
    /** Only for an agent with no presence history; archive it otherwise. */
    readonly deleteAgent: {
        readonly path: "/presence.v1.AgentService/DeleteAgent";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: DeleteAgentRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => DeleteAgentRequest;
        readonly responseSerialize: (value: Empty) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Empty;
    };
};
export interface AgentServiceServer extends UntypedServiceImplementation {
    createAgent: handleUnaryCall<CreateAgentRequest, Agent>;
    getAgent: handleUnaryCall<GetAgentRequest, Agent>;
    listAgents: handleUnaryCall<ListAgentsRequest, ListAgentsResponse>;
    updateAgent: handleUnaryCall<UpdateAgentRequest, Agent>;
    archiveAgent: handleUnaryCall<ArchiveAgentRequest, Agent>;
    unarchiveAgent: handleUnaryCall<UnarchiveAgentRequest, Agent>;
    /** Only for an agent with no presence history; archive it otherwise. */
    deleteAgent: handleUnaryCall<DeleteAgentRequest, Empty>;
}
export interface AgentServiceClient extends Client {
    createAgent(request: CreateAgentRequest, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    createAgent(request: CreateAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    createAgent(request: CreateAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    getAgent(request: GetAgentRequest, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    getAgent(request: GetAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    getAgent(request: GetAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    listAgents(request: ListAgentsRequest, callback: (error: ServiceError | null, response: ListAgentsResponse) => void): ClientUnaryCall;
    listAgents(request: ListAgentsRequest, metadata: Metadata, callback: (error: ServiceError | null, response: ListAgentsResponse) => void): ClientUnaryCall;
    listAgents(request: ListAgentsRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: ListAgentsResponse) => void): ClientUnaryCall;
    updateAgent(request: UpdateAgentRequest, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    updateAgent(request: UpdateAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    updateAgent(request: UpdateAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    archiveAgent(request: ArchiveAgentRequest, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    archiveAgent(request: ArchiveAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    archiveAgent(request: ArchiveAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    unarchiveAgent(request: UnarchiveAgentRequest, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    unarchiveAgent(request: UnarchiveAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    unarchiveAgent(request: UnarchiveAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Agent) => void): ClientUnaryCall;
    /** Only for an agent with no presence history; archive it otherwise. */
    deleteAgent(request: DeleteAgentRequest, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
    deleteAgent(request: DeleteAgentRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
    deleteAgent(request: DeleteAgentRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Empty) => void): ClientUnaryCall;
}
export declare const AgentServiceClient: {
    new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): AgentServiceClient;
    service: typeof AgentServiceService;
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
