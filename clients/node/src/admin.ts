/**
 * Administration: status types and agents (`client.statusTypes`, `client.agents`).
 *
 * Reads are retried after transient failures; writes are not (the server
 * does not deduplicate them). Updates take the new values and the names of
 * the fields to change (proto names: `limit_per_shift`); only those change.
 */
import { Agent, AgentServiceClient } from "./gen/presence/v1/agents.js";
import { StatusKind } from "./gen/presence/v1/common.js";
import { StatusType, StatusTypeServiceClient } from "./gen/presence/v1/status_types.js";
import type { Rpc } from "./rpc.js";

/** The largest page the server hands out. */
export const MAX_PAGE_SIZE = 1000;

/** `StatusTypeService`: the statuses agents can be in. */
export class StatusTypes {
  private readonly stub: StatusTypeServiceClient;

  constructor(private readonly rpc: Rpc) {
    this.stub = rpc.client(StatusTypeServiceClient);
  }

  /** Create a status type; its id is `statusTypeId` or generated. */
  create(statusType: Partial<StatusType>, statusTypeId = ""): Promise<StatusType> {
    return this.rpc.unary(
      this.stub.createStatusType.bind(this.stub),
      { statusType: StatusType.fromPartial(statusType), statusTypeId },
      { retry: false },
    );
  }

  get(id: string): Promise<StatusType> {
    return this.rpc.unary(this.stub.getStatusType.bind(this.stub), { id }, { retry: true });
  }

  /** Status types in menu order. */
  async list(
    options: { includeArchived?: boolean; kind?: StatusKind; selectableOnly?: boolean } = {},
  ): Promise<StatusType[]> {
    const response = await this.rpc.unary(
      this.stub.listStatusTypes.bind(this.stub),
      {
        includeArchived: options.includeArchived ?? false,
        kind: options.kind ?? StatusKind.UNSPECIFIED,
        selectableOnly: options.selectableOnly ?? false,
      },
      { retry: true },
    );
    return response.statusTypes;
  }

  /** Change `fields` of the type `statusType.id` to the given values. */
  update(
    statusType: Partial<StatusType> & { id: string },
    fields: readonly string[],
  ): Promise<StatusType> {
    return this.rpc.unary(
      this.stub.updateStatusType.bind(this.stub),
      { statusType: StatusType.fromPartial(statusType), updateMask: [...fields] },
      { retry: false },
    );
  }

  archive(id: string, etag = ""): Promise<StatusType> {
    return this.rpc.unary(
      this.stub.archiveStatusType.bind(this.stub),
      { id, etag },
      { retry: false },
    );
  }

  unarchive(id: string, etag = ""): Promise<StatusType> {
    return this.rpc.unary(
      this.stub.unarchiveStatusType.bind(this.stub),
      { id, etag },
      { retry: false },
    );
  }

  /** Delete a type that was never used (archive it otherwise). */
  async delete(id: string, etag = ""): Promise<void> {
    await this.rpc.unary(
      this.stub.deleteStatusType.bind(this.stub),
      { id, etag },
      { retry: false },
    );
  }
}

/** `AgentService`: the people whose status the server owns. */
export class Agents {
  private readonly stub: AgentServiceClient;

  constructor(private readonly rpc: Rpc) {
    this.stub = rpc.client(AgentServiceClient);
  }

  /** Create an agent (`id` is required). */
  create(agent: Partial<Agent> & { id: string }): Promise<Agent> {
    return this.rpc.unary(
      this.stub.createAgent.bind(this.stub),
      { agent: Agent.fromPartial(agent) },
      { retry: false },
    );
  }

  get(id: string): Promise<Agent> {
    return this.rpc.unary(this.stub.getAgent.bind(this.stub), { id }, { retry: true });
  }

  /** Every agent (of `team`, when given) by id, all pages read. */
  async list(options: { team?: string; includeArchived?: boolean } = {}): Promise<Agent[]> {
    const agents: Agent[] = [];
    let pageToken = "";
    for (;;) {
      const page = await this.rpc.unary(
        this.stub.listAgents.bind(this.stub),
        {
          team: options.team ?? "",
          includeArchived: options.includeArchived ?? false,
          pageSize: MAX_PAGE_SIZE,
          pageToken,
        },
        { retry: true },
      );
      agents.push(...page.agents);
      if (!page.nextPageToken || page.nextPageToken === pageToken) {
        return agents;
      }
      pageToken = page.nextPageToken;
    }
  }

  /** Change `fields` of the agent `agent.id` to the given values. */
  update(agent: Partial<Agent> & { id: string }, fields: readonly string[]): Promise<Agent> {
    return this.rpc.unary(
      this.stub.updateAgent.bind(this.stub),
      { agent: Agent.fromPartial(agent), updateMask: [...fields] },
      { retry: false },
    );
  }

  archive(id: string, etag = ""): Promise<Agent> {
    return this.rpc.unary(this.stub.archiveAgent.bind(this.stub), { id, etag }, { retry: false });
  }

  unarchive(id: string, etag = ""): Promise<Agent> {
    return this.rpc.unary(this.stub.unarchiveAgent.bind(this.stub), { id, etag }, { retry: false });
  }

  /** Delete an agent with no presence history (archive it otherwise). */
  async delete(id: string, etag = ""): Promise<void> {
    await this.rpc.unary(this.stub.deleteAgent.bind(this.stub), { id, etag }, { retry: false });
  }
}
