import { type AgentStatus, type PresenceEvent, PresenceFilter, type PresenceServiceClient } from "./gen/presence/v1/presence.js";
import { Backoff } from "./retry.js";
import type { Rpc } from "./rpc.js";
export interface SubscribeOptions {
    /** Which agents to follow; every given criterion must hold. */
    readonly filter?: Partial<PresenceFilter>;
    /** Start with a snapshot of every matching agent (default true). */
    readonly includeSnapshot?: boolean;
    /** Resume after this revision (an earlier subscription's `revision`). */
    readonly fromRevision?: number;
    readonly backoff?: Backoff;
    /** Told when a broken stream is being reopened. */
    readonly onReconnect?: (reason: string, revision: number | undefined) => void;
}
/** Every matching agent's presence as of `revision`. */
export interface SnapshotItem {
    readonly type: "snapshot";
    readonly presences: readonly AgentStatus[];
    readonly revision: number;
    /** True when it replaces a resume that was no longer possible. */
    readonly resync: boolean;
}
/** One change. */
export interface EventItem {
    readonly type: "event";
    readonly event: PresenceEvent;
    readonly revision: number;
}
export type SubscriptionItem = SnapshotItem | EventItem;
/**
 * An async iterable of snapshot and event items, made by
 * `PresenceClient.subscribe`. Iterate it once with `for await`; leave the
 * loop or call {@link close} to stop. A broken stream is reopened from
 * {@link revision}, forever; a refusal that reconnecting cannot cure (a bad
 * filter) is thrown from the loop.
 */
export declare class Subscription implements AsyncIterable<SubscriptionItem> {
    private readonly rpc;
    private readonly stub;
    private readonly options;
    /** The revision everything handed out so far reaches. */
    revision: number | undefined;
    connected: boolean;
    reconnects: number;
    private closed;
    private call;
    private readonly stopping;
    private readonly backoff;
    constructor(rpc: Rpc, stub: PresenceServiceClient, options: SubscribeOptions);
    [Symbol.asyncIterator](): AsyncGenerator<SubscriptionItem>;
    /** Stop: the stream is cancelled and the iteration ends. */
    close(): void;
    private request;
    private run;
    private itemsOf;
}
