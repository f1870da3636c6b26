import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type CallOptions, type ChannelCredentials, Client, type ClientOptions, type ClientUnaryCall, type handleUnaryCall, type Metadata, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { Duration } from "../../google/protobuf/duration.js";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/simulation.proto";
export interface GetClockRequest {
}
export interface AdvanceClockRequest {
    target: //
    /** Move to this instant (not earlier than now). */
    {
        $case: "to";
        value: Date;
    } | //
    /** Move forward by this much (not negative). */
    {
        $case: "by";
        value: Duration;
    } | undefined;
}
export interface Clock {
    /** The server's current simulated time. */
    now: Date | undefined;
}
export declare const GetClockRequest: MessageFns<GetClockRequest>;
export declare const AdvanceClockRequest: MessageFns<AdvanceClockRequest>;
export declare const Clock: MessageFns<Clock>;
/**
 * The simulated clock of a server started with PRESENCE_CLOCK=simulated, for
 * replays, training environments and what-if runs. Time stands still until
 * AdvanceClock moves it; timers (overage, grace periods, wrap-up, shift
 * maximum) fire in time order as it moves. A server on the system clock does
 * not offer this service: every call is UNIMPLEMENTED.
 */
export type SimulatedClockServiceService = typeof SimulatedClockServiceService;
export declare const SimulatedClockServiceService: {
    readonly getClock: {
        readonly path: "/presence.v1.SimulatedClockService/GetClock";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: GetClockRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => GetClockRequest;
        readonly responseSerialize: (value: Clock) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Clock;
    };
    readonly advanceClock: {
        readonly path: "/presence.v1.SimulatedClockService/AdvanceClock";
        readonly requestStream: false;
        readonly responseStream: false;
        readonly requestSerialize: (value: AdvanceClockRequest) => Buffer;
        readonly requestDeserialize: (value: Buffer) => AdvanceClockRequest;
        readonly responseSerialize: (value: Clock) => Buffer;
        readonly responseDeserialize: (value: Buffer) => Clock;
    };
};
export interface SimulatedClockServiceServer extends UntypedServiceImplementation {
    getClock: handleUnaryCall<GetClockRequest, Clock>;
    advanceClock: handleUnaryCall<AdvanceClockRequest, Clock>;
}
export interface SimulatedClockServiceClient extends Client {
    getClock(request: GetClockRequest, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
    getClock(request: GetClockRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
    getClock(request: GetClockRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
    advanceClock(request: AdvanceClockRequest, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
    advanceClock(request: AdvanceClockRequest, metadata: Metadata, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
    advanceClock(request: AdvanceClockRequest, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Clock) => void): ClientUnaryCall;
}
export declare const SimulatedClockServiceClient: {
    new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): SimulatedClockServiceClient;
    service: typeof SimulatedClockServiceService;
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
