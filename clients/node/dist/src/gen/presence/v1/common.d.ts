import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
export declare const protobufPackage = "presence.v1";
export declare const protobufFileName = "presence/v1/common.proto";
/**
 * The four families of status. The kind decides whether the agent may be
 * offered work and how reports count the time.
 */
export declare enum StatusKind {
    UNSPECIFIED = 0,
    /** AVAILABLE - The agent can be offered work. */
    AVAILABLE = 1,
    /** UNAVAILABLE - Working but not offered work: break, lunch, meeting, idle, away. */
    UNAVAILABLE = 2,
    /** OFFLINE - Not working. Exactly one built-in type has this kind. */
    OFFLINE = 3,
    /** SYSTEM - Driven by activities (a call, a task, wrap-up); never chosen by agents. */
    SYSTEM = 4,
    UNRECOGNIZED = -1
}
export declare function statusKindFromJSON(object: any): StatusKind;
export declare function statusKindToJSON(object: StatusKind): string;
/** What an agent is busy with while a SYSTEM status is in effect. */
export declare enum ActivityKind {
    UNSPECIFIED = 0,
    CALL = 1,
    CHAT = 2,
    TASK = 3,
    INTERACTION = 4,
    UNRECOGNIZED = -1
}
export declare function activityKindFromJSON(object: any): ActivityKind;
export declare function activityKindToJSON(object: ActivityKind): string;
/** Who may do what. Enforced by the authentication layer. */
export declare enum Role {
    UNSPECIFIED = 0,
    AGENT = 1,
    SUPERVISOR = 2,
    ADMIN = 3,
    UNRECOGNIZED = -1
}
export declare function roleFromJSON(object: any): Role;
export declare function roleToJSON(object: Role): string;
/**
 * A status type as it appears inside presence and events: enough for a
 * dashboard to draw it without another lookup.
 */
export interface StatusRef {
    id: string;
    name: string;
    /** "#RRGGBB". */
    color: string;
    kind: StatusKind;
}
export declare const StatusRef: MessageFns<StatusRef>;
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
