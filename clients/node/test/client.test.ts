/**
 * The Node client against a real presence-server process: presence calls,
 * typed errors, retries across a restart, and the session helper.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  ActivityKind,
  Backoff,
  ConnectionState,
  EtagMismatchError,
  InvalidArgumentError,
  NotFoundError,
  Outcome,
  PreconditionFailedError,
  PresenceClient,
  type PresenceError,
  QuotaExceededError,
  StaleRevisionError,
  StatusKind,
  UnavailableError,
} from "../src/index.js";
import { ServerProcess, freePort, until } from "./helpers/server.js";

let counter = 0;

// Reconnects a test can watch several of without waiting.
const QUICK_BACKOFF_MS = 10;

async function newAgent(client: PresenceClient, team = "blue"): Promise<string> {
  counter += 1;
  const id = `node-agent-${counter}`;
  await client.agents.create({ id, displayName: id, team });
  return id;
}

describe("presence calls and typed errors", () => {
  let server: ServerProcess;
  let client: PresenceClient;

  before(async () => {
    server = await ServerProcess.start();
    client = new PresenceClient(server.address);
  });

  after(async () => {
    client.close();
    await server.dispose();
  });

  it("applies a status at once when no activity runs", async () => {
    const agent = await newAgent(client);

    const change = await client.setStatus(agent, "available", { reason: "start" });

    assert.equal(change.outcome, Outcome.APPLIED);
    assert.equal(change.presence?.status?.id, "available");
    assert.equal(change.presence?.effectiveStatus?.kind, StatusKind.AVAILABLE);
    assert.equal((await client.getPresence(agent)).revision, change.presence?.revision);
  });

  it("shows a status chosen during a call as upcoming until the call ends", async () => {
    const agent = await newAgent(client);
    await client.setStatus(agent, "available");
    await client.startActivity(agent, ActivityKind.CALL, "call-1");

    const waiting = await client.setStatus(agent, "lunch");
    const during = await client.getPresence(agent);
    const ended = await client.endActivity(agent, "call-1");

    assert.equal(waiting.outcome, Outcome.UPCOMING);
    assert.equal(during.upcomingStatus?.id, "lunch");
    assert.equal(during.status?.id, "available");
    assert.equal(during.effectiveStatus?.kind, StatusKind.SYSTEM);
    assert.deepEqual(
      during.activities.map((a) => a.externalId),
      ["call-1"],
    );
    assert.equal(ended.presence?.status?.id, "lunch");
    assert.equal(ended.presence?.upcomingStatus, undefined);
  });

  it("rejects a status over its limit with a QuotaExceededError", async () => {
    await client.statusTypes.create(
      {
        name: "Stretch",
        color: "#43A047",
        kind: StatusKind.UNAVAILABLE,
        limitPerShift: 1,
      },
      "stretch",
    );
    const agent = await newAgent(client);
    await client.setStatus(agent, "available");
    await client.setStatus(agent, "stretch");
    await client.setStatus(agent, "available");

    const error = await rejection(client.setStatus(agent, "stretch"));

    assert.ok(error instanceof QuotaExceededError);
    assert.equal(error.reason, "STATUS_LIMIT_REACHED");
    assert.equal(error.codeName, "RESOURCE_EXHAUSTED");
    assert.deepEqual([error.used, error.limit, error.statusTypeId], [1, 1, "stretch"]);
    assert.equal(error.message, "Stretch used 1 of 1 time this shift");
    assert.deepEqual(
      error.quotaViolations.map((v) => v.subject),
      [`agent/${agent}/status_type/stretch`],
    );
  });

  it("rejects a stale expected revision with a StaleRevisionError", async () => {
    const agent = await newAgent(client);
    const first = await client.setStatus(agent, "available");
    await client.setStatus(agent, "break");
    const revision = first.presence?.revision ?? 0;

    const error = await rejection(client.setStatus(agent, "lunch", { expectedRevision: revision }));

    assert.ok(error instanceof StaleRevisionError);
    assert.equal(error.currentRevision, revision + 1);
    assert.deepEqual(
      error.violations.map((v) => v.type),
      ["REVISION"],
    );
  });

  it("rejects an unknown agent with a NotFoundError naming it", async () => {
    const error = await rejection(client.getPresence("nobody"));

    assert.ok(error instanceof NotFoundError);
    assert.equal(error.reason, "AGENT_NOT_FOUND");
    assert.deepEqual([error.resource?.type, error.resource?.name], ["agent", "nobody"]);
  });

  it("rejects a bad request with the field violations", async () => {
    const agent = await newAgent(client);

    const error = await rejection(client.setStatus(agent, ""));

    assert.ok(error instanceof InvalidArgumentError);
    assert.deepEqual(
      error.fieldViolations.map((v) => v.field),
      ["status_type_id"],
    );
  });

  it("refuses to end a shift during a call, with the request id", async () => {
    const agent = await newAgent(client);
    await client.setStatus(agent, "available");
    await client.startActivity(agent, ActivityKind.CALL, "call-2");

    const error = await rejection(client.endShift(agent, { requestId: "node-end-1" }));

    assert.ok(error instanceof PreconditionFailedError);
    assert.equal(error.reason, "SHIFT_END_DURING_ACTIVITY");
    assert.equal(error.requestId, "node-end-1");
  });

  it("rejects an update with an old etag with an EtagMismatchError", async () => {
    const agent = await newAgent(client);
    const before = await client.agents.get(agent);
    const updated = await client.agents.update({ id: agent, team: "red", etag: before.etag }, [
      "team",
    ]);

    const error = await rejection(
      client.agents.update({ id: agent, team: "gold", etag: before.etag }, ["team"]),
    );

    assert.ok(error instanceof EtagMismatchError);
    assert.equal(error.currentEtag, updated.etag);
  });

  it("lists presence by team and routability", async () => {
    const ready = await newAgent(client, "green");
    const paused = await newAgent(client, "green");
    const session = client.session(ready);
    await session.start();
    await client.setStatus(ready, "available");
    await client.setStatus(paused, "break");

    const team = await client.listPresence({ teams: ["green"] });
    const routable = await client.listPresence({ teams: ["green"], routableOnly: true });
    await session.close();

    assert.deepEqual(
      team.map((p) => p.agentId),
      [ready, paused].sort(),
    );
    assert.deepEqual(
      routable.map((p) => p.agentId),
      [ready],
    );
  });

  it("pushes every change of the agent to its session", async () => {
    const agent = await newAgent(client);
    const session = client.session(agent, { clientName: "node tests" });
    const first = await session.start();
    const seen: string[] = [];
    const done = (async () => {
      for await (const presence of session.updates()) {
        seen.push(presence.status?.id ?? "");
        if (seen.length === 2) {
          return;
        }
      }
    })();

    await client.setStatus(agent, "available");
    await client.setStatus(agent, "break");
    await done;
    await session.close();

    assert.equal(first.connection, ConnectionState.CONNECTED);
    assert.deepEqual(seen, ["available", "break"]);
    assert.equal(session.connected, false);
  });

  it("fails the session of an unknown agent with a NotFoundError", async () => {
    const session = client.session("nobody-at-all");

    const error = await rejection(session.start());

    assert.ok(error instanceof NotFoundError);
    await session.close();
  });
});

describe("through failures", () => {
  it("gives up on an unreachable server with an UnavailableError", async () => {
    const port = await freePort();
    const retries: number[] = [];
    const client = new PresenceClient(`127.0.0.1:${port}`, {
      retry: { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 },
      onRetry: (_what, _error, attempt) => retries.push(attempt),
    });

    const error = await rejection(client.setStatus("alice", "available"));
    client.close();

    assert.ok(error instanceof UnavailableError);
    assert.equal(error.status, undefined);
    assert.deepEqual(retries, [1, 2]);
    assert.doesNotMatch(error.message, /Resolution note:\s*$/);
  });

  it("lands a status sent while the server is down once it is back", async () => {
    let server = await ServerProcess.start();
    const retries: number[] = [];
    const client = new PresenceClient(server.address, {
      retry: { attempts: 200, initialBackoffMs: 20, maxBackoffMs: 100 },
      onRetry: (_what, _error, attempt) => retries.push(attempt),
    });
    try {
      const agent = await newAgent(client);
      await server.stop();

      const pending = client.setStatus(agent, "available");
      await until(() => retries.length > 0, "a retry");
      server = await ServerProcess.start({ dataDir: server.dataDir, port: server.port });
      const change = await pending;

      assert.equal(change.outcome, Outcome.APPLIED);
      assert.equal((await client.getPresence(agent)).status?.id, "available");
    } finally {
      client.close();
      await server.dispose();
    }
  });

  it("tells onRetry of each failed connect of a subscription to a down server", async () => {
    const port = await freePort();
    const heard: [PresenceError, number, number][] = [];
    const client = new PresenceClient(`127.0.0.1:${port}`);
    const subscription = client.subscribe({
      backoff: new Backoff(QUICK_BACKOFF_MS, QUICK_BACKOFF_MS),
      onRetry: (error, attempt, delayMs) => heard.push([error, attempt, delayMs]),
    });
    const reading = subscription[Symbol.asyncIterator]().next();

    await until(() => heard.length >= 3, "three failed connects");
    subscription.close();
    await reading;
    client.close();

    assert.deepEqual(
      heard.slice(0, 3).map(([, attempt]) => attempt),
      [1, 2, 3],
    );
    assert.ok(heard.every(([error]) => error instanceof UnavailableError));
    assert.ok(heard.every(([, , delayMs]) => delayMs > 0 && delayMs <= QUICK_BACKOFF_MS));
    assert.equal(subscription.connected, false);
  });

  it("tells onRetry of failed connects of a session, then onConnect once back", async () => {
    let server = await ServerProcess.start();
    const client = new PresenceClient(server.address);
    const attempts: number[] = [];
    let connects = 0;
    try {
      const agent = await newAgent(client);
      await server.stop();
      const session = client.session(agent, {
        backoff: new Backoff(QUICK_BACKOFF_MS, 100),
        onRetry: (error, attempt) => {
          assert.ok(error instanceof UnavailableError);
          attempts.push(attempt);
        },
        onConnect: () => {
          connects += 1;
        },
      });
      const started = session.start();

      await until(() => attempts.length >= 2, "two failed connects");
      assert.equal(connects, 0);
      server = await ServerProcess.start({ dataDir: server.dataDir, port: server.port });
      const presence = await started;
      await session.close();

      assert.deepEqual(attempts.slice(0, 2), [1, 2]);
      assert.equal(connects, 1);
      assert.equal(presence.agentId, agent);
    } finally {
      client.close();
      await server.dispose();
    }
  });

  it("reconnects a session after a server restart", async () => {
    let server = await ServerProcess.start();
    const client = new PresenceClient(server.address);
    try {
      const agent = await newAgent(client);
      await client.setStatus(agent, "available");
      const session = client.session(agent);
      await session.start();
      const first = session.sessionId;

      server = await server.restart();
      await session.waitFor(() => session.sessionId !== first);
      const presence = await client.getPresence(agent);
      await session.close();

      assert.equal(session.reconnects, 1);
      assert.equal(presence.connection, ConnectionState.CONNECTED);
      assert.equal(presence.status?.id, "available");
    } finally {
      client.close();
      await server.dispose();
    }
  });
});

async function rejection(promise: Promise<unknown>): Promise<PresenceError> {
  try {
    await promise;
  } catch (error) {
    return error as PresenceError;
  }
  assert.fail("the call succeeded");
}
