/**
 * A supervisor feed: a team's presence, live, with colors and timers.
 *
 * It subscribes to the team, prints a board of every agent (status in its
 * color, how long they have been in it, what comes next), then one line per
 * change with how long the agent spent in the status it left. The board is
 * printed again every `--board-every` seconds with fresh timers. The
 * subscription reconnects and resumes by itself across server restarts, and
 * the feed says when it lost the server (the board is stale until
 * "reconnected").
 *
 * Against a local server (presence-server running in another terminal):
 *
 *   npm run supervisor-feed --prefix clients/node -- --team blue
 *
 * Colors are on when writing to a terminal (`--color` / `--no-color` force
 * it, and so does NO_COLOR).
 */
import { parseArgs } from "node:util";

import {
  type AgentStatus,
  EventType,
  type PresenceEvent,
  PresenceClient,
  type PresenceError,
  type SnapshotItem,
  type StatusRef,
} from "../src/index.js";

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";

class Painter {
  constructor(private readonly enabled: boolean) {}

  status(ref: StatusRef | undefined): string {
    const name = ref?.name ?? "?";
    if (!this.enabled || ref === undefined || !/^#[0-9a-fA-F]{6}$/.test(ref.color)) {
      return name;
    }
    const [red, green, blue] = [1, 3, 5].map((i) => parseInt(ref.color.slice(i, i + 2), 16));
    return `\x1b[38;2;${red};${green};${blue}m\u25cf ${name}${RESET}`;
  }

  dim(text: string): string {
    return this.enabled ? `${DIM}${text}${RESET}` : text;
  }
}

/** `1h02m`, `4m05s` or `12s`. */
export function timer(milliseconds: number): string {
  const whole = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  if (hours) {
    return `${hours}h${two(minutes)}m`;
  }
  return minutes ? `${minutes}m${two(seconds)}s` : `${seconds}s`;
}

class Feed {
  private board = new Map<string, AgentStatus>();
  private down = false;

  constructor(private readonly paint: Painter) {}

  /** The subscription could not (re)connect: say so once per outage. */
  lost(error: PresenceError): void {
    if (!this.down) {
      this.down = true;
      console.log(`--- disconnected, reconnecting (${error.message})`);
    }
  }

  back(): void {
    if (this.down) {
      this.down = false;
      console.log("--- reconnected");
    }
  }

  load(snapshot: SnapshotItem): void {
    this.board = new Map(snapshot.presences.map((p) => [p.agentId, p]));
    const note = snapshot.resync ? " (resynchronized)" : "";
    console.log(`--- ${this.board.size} agents at revision ${snapshot.revision}${note}`);
    this.printBoard();
  }

  printBoard(): void {
    const now = Date.now();
    for (const [agentId, presence] of [...this.board].sort(([a], [b]) => a.localeCompare(b))) {
      const since = presence.since?.getTime() ?? now;
      let line = `  ${agentId.padEnd(16)} ${this.paint.status(presence.effectiveStatus)}`;
      line += ` ${this.paint.dim(`for ${timer(now - since)}`)}`;
      if (presence.upcomingStatus !== undefined) {
        line += `  next: ${this.paint.status(presence.upcomingStatus)}`;
      }
      if (presence.overageSince !== undefined) {
        line += "  OVER TIME";
      }
      console.log(line);
    }
  }

  apply(event: PresenceEvent): void {
    const when = event.time ?? new Date();
    const stamp = when.toTimeString().slice(0, 8);
    if (event.type === EventType.STATUS_TYPE_CHANGED) {
      console.log(`${stamp}  status type '${event.statusType?.name}' changed`);
      return;
    }
    const current = event.current;
    if (current === undefined) {
      return;
    }
    this.board.set(event.agentId, current);
    const kind = (EventType[event.type] ?? "").toLowerCase();
    let line = `${stamp}  ${event.agentId.padEnd(16)} ${kind.padEnd(18)}`;
    const before = event.previous;
    if (before !== undefined && before.effectiveStatus?.id !== current.effectiveStatus?.id) {
      const spent = when.getTime() - (before.since?.getTime() ?? when.getTime());
      line += ` ${this.paint.status(before.effectiveStatus)} ->`;
      line += ` ${this.paint.status(current.effectiveStatus)}`;
      line += ` ${this.paint.dim(`(after ${timer(spent)})`)}`;
    } else {
      line += ` ${this.paint.status(current.effectiveStatus)}`;
    }
    if (current.upcomingStatus !== undefined) {
      line += `  next: ${this.paint.status(current.upcomingStatus)}`;
    }
    if (event.reason) {
      line += ` ${this.paint.dim(`- ${event.reason}`)}`;
    }
    console.log(line);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: "string", default: "127.0.0.1:50051" },
      token: { type: "string" },
      team: { type: "string", multiple: true, default: [] },
      "board-every": { type: "string", default: "30" },
      events: { type: "string", default: "0" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  let color = Boolean(process.stdout.isTTY) && process.env["NO_COLOR"] === undefined;
  if (values.color) {
    color = true;
  }
  if (values["no-color"]) {
    color = false;
  }
  const stopAfter = Number(values.events);
  const feed = new Feed(new Painter(color));

  // A bearer token for a server with authentication on (not in development mode).
  const token = values.token ?? process.env["PRESENCE_TOKEN"];
  const client = new PresenceClient(values.server, token ? { token } : {});
  const subscription = client.subscribe({
    filter: { teams: values.team },
    onRetry: (error) => feed.lost(error),
    onConnect: () => feed.back(),
  });
  const board = setInterval(
    () => {
      console.log(`--- ${new Date().toTimeString().slice(0, 8)}`);
      feed.printBoard();
    },
    Number(values["board-every"]) * 1000,
  );
  const stop = (): void => subscription.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  let seen = 0;
  try {
    for await (const item of subscription) {
      if (item.type === "snapshot") {
        feed.load(item);
        continue;
      }
      feed.apply(item.event);
      seen += 1;
      if (seen === stopAfter) {
        break;
      }
    }
  } finally {
    clearInterval(board);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    client.close();
  }
  return 0;
}

process.exitCode = await main();
