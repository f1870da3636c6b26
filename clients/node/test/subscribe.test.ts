/** `PresenceClient.subscribe` against a real server: snapshot, events, resume. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  EventType,
  InvalidArgumentError,
  PresenceClient,
  type Subscription,
  type SubscriptionItem,
} from "../src/index.js";
import { ServerProcess } from "./helpers/server.js";

const TIMEOUT_MS = 20_000;
let counter = 0;

async function newAgent(client: PresenceClient, team = "blue"): Promise<string> {
  counter += 1;
  const id = `node-sub-${counter}`;
  await client.agents.create({ id, displayName: id, team });
  return id;
}

/** Items of the subscription until `done` says so; fails after a timeout. */
async function readUntil(
  items: AsyncIterator<SubscriptionItem>,
  done: (item: SubscriptionItem) => boolean,
): Promise<SubscriptionItem[]> {
  const collect = async (): Promise<SubscriptionItem[]> => {
    const seen: SubscriptionItem[] = [];
    for (;;) {
      const next = await items.next();
      if (next.done) {
        throw new Error("the subscription ended");
      }
      seen.push(next.value);
      if (done(next.value)) {
        return seen;
      }
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out reading")), TIMEOUT_MS);
  });
  try {
    return await Promise.race([collect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function iterate(subscription: Subscription): AsyncIterator<SubscriptionItem> {
  return subscription[Symbol.asyncIterator]();
}

describe("subscribe", () => {
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

  it("starts with a snapshot of the team, then yields each event", async () => {
    const agent = await newAgent(client, "violet");
    await newAgent(client, "elsewhere");
    const subscription = client.subscribe({ filter: { teams: ["violet"] } });
    const items = iterate(subscription);

    const [snapshot] = await readUntil(items, () => true);
    const change = await client.setStatus(agent, "available");
    const events = await readUntil(
      items,
      (item) => item.revision >= (change.presence?.revision ?? 0),
    );
    subscription.close();

    assert.equal(snapshot?.type, "snapshot");
    assert.ok(snapshot?.type === "snapshot");
    assert.deepEqual(
      snapshot.presences.map((p) => p.agentId),
      [agent],
    );
    assert.equal(snapshot.resync, false);
    assert.ok(events.every((item) => item.type === "event"));
    const last = events[events.length - 1];
    assert.ok(last?.type === "event");
    assert.equal(last.event.current?.status?.id, "available");
    assert.equal(subscription.revision, change.presence?.revision);
  });

  it("starts with a resync snapshot when the revision is unknown to the server", async () => {
    const subscription = client.subscribe({ fromRevision: 1_000_000 });

    const [snapshot] = await readUntil(iterate(subscription), () => true);
    subscription.close();

    assert.ok(snapshot?.type === "snapshot");
    assert.equal(snapshot.resync, true);
  });

  it("throws a refusal that retrying cannot cure", async () => {
    const subscription = client.subscribe({ fromRevision: -1 });

    await assert.rejects(
      readUntil(iterate(subscription), () => true),
      InvalidArgumentError,
    );
  });
});

describe("subscribe through a restart", () => {
  it("resumes without losing or repeating an event", async () => {
    let server = await ServerProcess.start();
    const client = new PresenceClient(server.address, {
      retry: { attempts: 200, initialBackoffMs: 20, maxBackoffMs: 100 },
    });
    try {
      const agent = await newAgent(client);
      const subscription = client.subscribe();
      const items = iterate(subscription);
      const [snapshot] = await readUntil(items, () => true);
      await client.setStatus(agent, "available");
      const before = await client.setStatus(agent, "break");
      const seen = await readUntil(
        items,
        (item) => item.revision >= (before.presence?.revision ?? 0),
      );

      // Down and back; changes made right away may land before the
      // subscription is back: it must fetch them when it resumes.
      server = await server.restart();
      await client.setStatus(agent, "lunch");
      const last = await client.setStatus(agent, "available");
      seen.push(
        ...(await readUntil(items, (item) => item.revision >= (last.presence?.revision ?? 0))),
      );
      subscription.close();

      assert.ok(snapshot?.type === "snapshot");
      const expected = [];
      for (let r = snapshot.revision + 1; r <= (last.presence?.revision ?? 0); r++) {
        expected.push(r);
      }
      assert.deepEqual(
        seen.map((item) => item.revision),
        expected,
      );
      assert.ok(seen.every((item) => item.type === "event"));
      assert.ok(subscription.reconnects >= 1);
      const statuses = seen.flatMap((item) =>
        item.type === "event" && item.event.type === EventType.STATUS_CHANGED
          ? [item.event.current?.status?.id]
          : [],
      );
      assert.deepEqual(statuses, ["available", "break", "lunch", "available"]);
    } finally {
      client.close();
      await server.dispose();
    }
  });
});
