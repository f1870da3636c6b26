/** The examples run end to end against a real server. */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { PresenceClient } from "../src/index.js";
import { ServerProcess } from "./helpers/server.js";

const run = promisify(execFile);
const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "examples");

describe("examples", () => {
  let server: ServerProcess;

  before(async () => {
    server = await ServerProcess.start();
  });

  after(async () => {
    await server.dispose();
  });

  it("agent desktop shows the upcoming status during a call", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        join(EXAMPLES, "agent-desktop.js"),
        "--server",
        server.address,
        "--agent",
        "node-demo",
        "--create",
        "--demo",
      ],
      { timeout: 60_000 },
    );

    assert.match(stdout, /\[node-demo\] now: On a call \(chosen: Available\) \| upcoming: Lunch/);
    assert.match(stdout, /\[node-demo\] now: Lunch/);
  });

  it("agent desktop demo played twice refuses Lunch and ends its call", async () => {
    const demo = () =>
      run(
        process.execPath,
        [
          join(EXAMPLES, "agent-desktop.js"),
          ...["--server", server.address, "--agent", "node-twice", "--create", "--demo"],
        ],
        { timeout: 60_000 },
      );

    await demo();
    const { stdout, stderr } = await demo();
    const client = new PresenceClient(server.address);
    try {
      const presence = await client.getPresence("node-twice");
      const agent = await client.agents.get("node-twice");

      assert.match(stdout, /^ {2}refused: /m);
      assert.doesNotMatch(stderr, /Error/);
      assert.deepEqual(presence.activities, []);
      assert.equal(agent.team, "blue");
    } finally {
      client.close();
    }
  });
});

describe("supervisor feed example", () => {
  it("prints the board, then each change with its timer", async () => {
    const server = await ServerProcess.start();
    const client = new PresenceClient(server.address);
    try {
      await client.agents.create({ id: "node-feed", displayName: "F", team: "t" });
      const feed = spawn(
        process.execPath,
        [
          join(EXAMPLES, "supervisor-feed.js"),
          ...["--server", server.address, "--team", "t", "--events", "3", "--no-color"],
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const lines = createInterface({ input: feed.stdout });
      const output: string[] = [];
      const exited = new Promise<number | null>((done) => feed.once("exit", done));

      for await (const line of lines) {
        output.push(line);
        if (output.length === 2) {
          // The snapshot is shown: make the changes it must report.
          await client.setStatus("node-feed", "available");
          await client.setStatus("node-feed", "break");
        }
      }

      assert.equal(await exited, 0);
      assert.match(output[0] ?? "", /^--- 1 agents at revision \d+/);
      const changes = output.slice(2);
      assert.equal(changes.length, 3);
      assert.ok(changes.some((line) => line.includes("Offline -> Available (after ")));
      assert.match(changes[2] ?? "", /Available -> Break \(after /);
    } finally {
      client.close();
      await server.dispose();
    }
  });
});

describe("supervisor feed example through a restart", () => {
  it("says when it loses the server and when it is back", async () => {
    let server = await ServerProcess.start();
    const feed = spawn(
      process.execPath,
      [
        join(EXAMPLES, "supervisor-feed.js"),
        ...["--server", server.address, "--team", "nobody", "--no-color"],
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const lines = createInterface({ input: feed.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((done) => feed.once("exit", done));
    const timer = setTimeout(() => feed.kill(), 60_000);
    try {
      const board = (await lines.next()).value;
      await server.stop();
      const lost = (await lines.next()).value;
      server = await ServerProcess.start({ dataDir: server.dataDir, port: server.port });
      const back = (await lines.next()).value;

      assert.match(board ?? "", /^--- 0 agents at revision \d+/);
      assert.match(lost ?? "", /^--- disconnected, reconnecting \(/);
      assert.equal(back, "--- reconnected");
    } finally {
      clearTimeout(timer);
      feed.kill();
      await exited;
      await server.dispose();
    }
  });
});
