/**
 * A real `presence-server` in a child process, for the tests.
 *
 * The command is `$PRESENCE_SERVER_BIN`, else the repository's
 * `.venv/bin/presence-server`, else `presence-server` on the PATH. Each
 * server gets a fresh data directory (SQLite) and a free loopback port,
 * and nothing from the environment's `PRESENCE_*` variables.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/test/helpers -> the repository root.
export const REPO = resolve(HERE, "..", "..", "..", "..", "..");
const LISTENING = /listening on (\S+?:(\d+)),/;
const START_TIMEOUT_MS = 20_000;

function serverCommand(): string {
  const fromEnv = process.env["PRESENCE_SERVER_BIN"];
  if (fromEnv) {
    return fromEnv;
  }
  const venv = join(REPO, ".venv", "bin", "presence-server");
  return existsSync(venv) ? venv : "presence-server";
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolvePort(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export class ServerProcess {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) => child.once("exit", (code) => done(code)));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Start a server; resolves once it says where it listens. */
  static async start(
    options: { dataDir?: string; port?: number; env?: Record<string, string> } = {},
  ): Promise<ServerProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "presence-node-"));
    const port = options.port ?? (await freePort());
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("PRESENCE_") && value !== undefined) {
        env[key] = value;
      }
    }
    Object.assign(env, {
      PRESENCE_LISTEN_ADDRESS: `127.0.0.1:${port}`,
      PRESENCE_DATA_DIR: dataDir,
      PRESENCE_METRICS_ADDRESS: "",
      PRESENCE_GRACE_SECONDS: "1",
      // Development mode unless a test's env turns authentication on.
      PRESENCE_AUTH_DISABLED: "true",
      ...options.env,
    });
    const child = spawn(serverCommand(), [], { env, stdio: ["ignore", "pipe", "pipe"] });
    const server = new ServerProcess(dataDir, port, child);
    await server.waitUntilListening();
    return server;
  }

  private waitUntilListening(): Promise<void> {
    return new Promise((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no 'listening on' line:\n${this.output.join("\n")}`)),
        START_TIMEOUT_MS,
      );
      let pending = "";
      const read = (chunk: Buffer): void => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          this.output.push(line);
          if (LISTENING.test(line)) {
            clearTimeout(timer);
            ready();
          }
        }
      };
      this.child.stdout?.on("data", read);
      this.child.stderr?.on("data", read);
      this.child.once("error", (error) => {
        clearTimeout(timer);
        fail(error);
      });
      this.child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`presence-server exited with ${code}:\n${this.output.join("\n")}`));
      });
    });
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
    }
    return this.exited;
  }

  /** Stop, then start another server on the same port and data. */
  async restart(): Promise<ServerProcess> {
    await this.stop();
    return ServerProcess.start({ dataDir: this.dataDir, port: this.port });
  }

  /** Stop and delete the data directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Poll `condition` until it holds; fail after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((tick) => setTimeout(tick, 10));
  }
}
