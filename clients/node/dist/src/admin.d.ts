/**
 * Administration: status types and agents (`client.statusTypes`, `client.agents`).
 *
 * Reads are retried after transient failures; writes are not (the server
 * does not deduplicate them). Updates take the new values and the names of
 * the fields to change (proto names: `limit_per_shift`); only those change.
 */
import { Agent } from "./gen/presence/v1/agents.js";
import { StatusKind } from "./gen/presence/v1/common.js";
import { StatusType } from "./gen/presence/v1/status_types.js";
import type { Rpc } from "./rpc.js";
/** The largest page the server hands out. */
export declare const MAX_PAGE_SIZE = 1000;
/** `StatusTypeService`: the statuses agents can be in. */
export declare class StatusTypes {
    private readonly rpc;
    private readonly stub;
    constructor(rpc: Rpc);
    /** Create a status type; its id is `statusTypeId` or generated. */
    create(statusType: Partial<StatusType>, statusTypeId?: string): Promise<StatusType>;
    get(id: string): Promise<StatusType>;
    /** Status types in menu order. */
    list(options?: {
        includeArchived?: boolean;
        kind?: StatusKind;
        selectableOnly?: boolean;
    }): Promise<StatusType[]>;
    /** Change `fields` of the type `statusType.id` to the given values. */
    update(statusType: Partial<StatusType> & {
        id: string;
    }, fields: readonly string[]): Promise<StatusType>;
    archive(id: string, etag?: string): Promise<StatusType>;
    unarchive(id: string, etag?: string): Promise<StatusType>;
    /** Delete a type that was never used (archive it otherwise). */
    delete(id: string, etag?: string): Promise<void>;
}
/** `AgentService`: the people whose status the server owns. */
export declare class Agents {
    private readonly rpc;
    private readonly stub;
    constructor(rpc: Rpc);
    /** Create an agent (`id` is required). */
    create(agent: Partial<Agent> & {
        id: string;
    }): Promise<Agent>;
    get(id: string): Promise<Agent>;
    /** Every agent (of `team`, when given) by id, all pages read. */
    list(options?: {
        team?: string;
        includeArchived?: boolean;
    }): Promise<Agent[]>;
    /** Change `fields` of the agent `agent.id` to the given values. */
    update(agent: Partial<Agent> & {
        id: string;
    }, fields: readonly string[]): Promise<Agent>;
    archive(id: string, etag?: string): Promise<Agent>;
    unarchive(id: string, etag?: string): Promise<Agent>;
    /** Delete an agent with no presence history (archive it otherwise). */
    delete(id: string, etag?: string): Promise<void>;
}
