/**
 * An agent-desktop backend: keeps the agent connected, shows and changes status.
 *
 * It holds the agent's session (reconnecting by itself), prints the current
 * and upcoming status whenever the server pushes a change, and reads
 * commands from the terminal:
 *
 *   status lunch        choose a status (upcoming while a call runs)
 *   call c-1 / end c-1  a call starts / ends (what the telephony would say)
 *   cancel              drop the upcoming status
 *   list                the statuses the agent may choose
 *   quit
 *
 * Against a local server (presence-server running in another terminal):
 *
 *   npm run agent-desktop --prefix clients/node -- --agent alice --create
 *
 * `--create` makes the agent (in `--team`, blue by default) unless it exists.
 * `--demo` plays a short scripted shift instead of reading commands; a step
 * the server refuses is shown like a typed one, and the demo's call is
 * always ended, so the demo can be played again.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

import {
  ActivityKind,
  AlreadyExistsError,
  type AgentStatus,
  Outcome,
  PresenceClient,
  PresenceError,
  StatusKind,
} from "../src/index.js";

const DEMO_CALL = "demo-call-1";
const DEMO = [
  "status available",
  `call ${DEMO_CALL}`,
  "status lunch",
  `end ${DEMO_CALL}`,
  "status available",
];

/** One line: the status in effect, the chosen one, the upcoming one. */
export function describe(presence: AgentStatus): string {
  let line = `[${presence.agentId}] now: ${presence.effectiveStatus?.name}`;
  if (presence.effectiveStatus?.id !== presence.status?.id) {
    line += ` (chosen: ${presence.status?.name})`;
  }
  if (presence.upcomingStatus !== undefined) {
    line += ` | upcoming: ${presence.upcomingStatus.name}`;
  }
  if (presence.limitPerShift) {
    line += ` | use ${presence.usesThisShift} of ${presence.limitPerShift}`;
  }
  if (presence.overageSince !== undefined) {
    line += " | OVER TIME";
  }
  return line;
}

/** Carry out one command; the revision it made, or undefined to stop. */
async function run(
  client: PresenceClient,
  agent: string,
  command: string,
): Promise<number | undefined> {
  const [verb = "", argument = ""] = command.trim().split(/\s+/, 2);
  switch (verb) {
    case "quit":
    case "exit":
      return undefined;
    case "status": {
      const change = await client.setStatus(agent, argument);
      if (change.outcome === Outcome.UPCOMING) {
        console.log(`  ${argument} will apply when the activity ends`);
      }
      return change.presence?.revision ?? 0;
    }
    case "call":
      return (await client.startActivity(agent, ActivityKind.CALL, argument)).presence?.revision;
    case "end":
      return (await client.endActivity(agent, argument)).presence?.revision;
    case "cancel":
      return (await client.cancelUpcomingStatus(agent)).presence?.revision;
    case "list":
      for (const type of await client.statusTypes.list({ selectableOnly: true })) {
        const kind = StatusKind[type.kind]?.toLowerCase() ?? "";
        console.log(`  ${type.id.padEnd(12)} ${type.name.padEnd(16)} ${kind}`);
      }
      return 0;
    case "":
      return 0;
    default:
      console.log("  commands: status ID, call ID, end ID, cancel, list, quit");
      return 0;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: "string", default: "127.0.0.1:50051" },
      token: { type: "string" },
      agent: { type: "string" },
      create: { type: "boolean", default: false },
      team: { type: "string", default: "blue" },
      demo: { type: "boolean", default: false },
    },
  });
  const agent = values.agent;
  if (!agent) {
    console.error(
      "usage: agent-desktop --agent ID [--server HOST:PORT] [--token T] [--create [--team T]] [--demo]",
    );
    return 2;
  }

  // A bearer token for a server with authentication on (not in development mode).
  const token = values.token ?? process.env["PRESENCE_TOKEN"];
  const client = new PresenceClient(values.server, token ? { token } : {});
  try {
    if (values.create) {
      await client.agents
        .create({ id: agent, displayName: agent, team: values.team })
        .catch((error) => {
          if (!(error instanceof AlreadyExistsError)) {
            throw error;
          }
        });
    }

    const session = client.session(agent, { clientName: "agent desktop example" });
    console.log(describe(await session.start()));
    let shown = session.presence?.revision ?? 0;
    session.onPresence((presence) => {
      console.log(describe(presence));
      shown = presence.revision;
    });

    try {
      if (values.demo) {
        try {
          for (const command of DEMO) {
            console.log(`> ${command}`);
            let revision = 0;
            try {
              revision = (await run(client, agent, command)) ?? 0;
            } catch (error) {
              if (!(error instanceof PresenceError)) {
                throw error;
              }
              console.log(`  refused: ${error.message}`);
              continue;
            }
            // Let the pushed change print before the next step.
            await session.waitFor(() => shown >= revision);
          }
        } finally {
          // A demo cut short must not leave the agent on a call.
          await client.endActivity(agent, DEMO_CALL).catch((error) => {
            if (!(error instanceof PresenceError)) {
              throw error;
            }
          });
        }
      } else {
        const terminal = createInterface({ input: process.stdin });
        for await (const line of terminal) {
          try {
            if ((await run(client, agent, line)) === undefined) {
              break;
            }
          } catch (error) {
            if (!(error instanceof PresenceError)) {
              throw error;
            }
            console.log(`  refused: ${error.message}`);
          }
        }
        terminal.close();
      }
    } finally {
      await session.close();
    }
  } finally {
    client.close();
  }
  return 0;
}

process.exitCode = await main();
