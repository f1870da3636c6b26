/**
 * The Node client's `token` against a real presence-server with authentication
 * on; the tokens are minted by the project's own `presencectl token`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { NO_RETRY, PresenceClient, UnauthenticatedError } from "../src/index.js";
import { REPO, ServerProcess } from "./helpers/server.js";

const SECRET = "a-node-test-secret-of-at-least-32-bytes";

function mint(...args: string[]): string {
  const presencectl = join(REPO, ".venv", "bin", "presencectl");
  const env = { ...process.env, PRESENCE_AUTH_JWT_SECRET: SECRET };
  return execFileSync(presencectl, ["token", ...args], { env, encoding: "utf8" }).trim();
}

describe("token", () => {
  let server: ServerProcess;

  before(async () => {
    server = await ServerProcess.start({
      env: { PRESENCE_AUTH_DISABLED: "false", PRESENCE_AUTH_JWT_SECRET: SECRET },
    });
  });

  after(async () => {
    await server.stop();
  });

  it("is sent on calls and on streams", async () => {
    const client = new PresenceClient(server.address, {
      token: mint("--role", "admin", "--subject", "ops"),
    });
    try {
      const ids = (await client.statusTypes.list()).map((t) => t.id);
      const subscription = client.subscribe();
      const first = await subscription[Symbol.asyncIterator]().next();
      subscription.close();

      assert.ok(ids.includes("available"));
      assert.equal(first.value?.type, "snapshot");
    } finally {
      client.close();
    }
  });

  it("is needed: without one the server answers UNAUTHENTICATED", async () => {
    const client = new PresenceClient(server.address, { retry: NO_RETRY });
    try {
      await assert.rejects(client.statusTypes.list(), UnauthenticatedError);
    } finally {
      client.close();
    }
  });

  it("must not be empty", () => {
    assert.throws(() => new PresenceClient(server.address, { token: " " }), TypeError);
  });
});
