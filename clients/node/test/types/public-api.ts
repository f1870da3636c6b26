/**
 * Type-check only (`tsc --noEmit`, never run): the public API keeps its
 * types. Each `expectType<Exact<...>>` fails to compile when a type
 * changes or decays to `any`; each `@ts-expect-error` fails when a misuse
 * starts compiling.
 */
import {
  ActivityKind,
  type AgentSession,
  type AgentStatus,
  type Code,
  EtagMismatchError,
  type PreconditionViolation,
  type PresenceChange,
  PresenceClient,
  PresenceError,
  type PresenceEvent,
  QuotaExceededError,
  StaleRevisionError,
  type StatusType,
  type Subscription,
  type SubscriptionItem,
} from "../../src/index.js";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Exact<A, B> =
  IsAny<A> extends true
    ? false
    : IsAny<B> extends true
      ? false
      : [A] extends [B]
        ? [B] extends [A]
          ? true
          : false
        : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

export async function publicApi(client: PresenceClient): Promise<void> {
  const change = await client.setStatus("alice", "break", {
    reason: "coffee",
    expectedRevision: 41,
    requestId: "r-1",
  });
  expectType<Exact<typeof change, PresenceChange>>();
  expectType<Exact<typeof change.presence, AgentStatus | undefined>>();
  expectType<Exact<typeof change.outcome, import("../../src/index.js").Outcome>>();

  const presence = await client.getPresence("alice");
  expectType<Exact<typeof presence.revision, number>>();
  expectType<
    Exact<typeof presence.upcomingStatus, import("../../src/index.js").StatusRef | undefined>
  >();
  expectType<Exact<typeof presence.since, Date | undefined>>();

  const listed = await client.listPresence({ teams: ["blue"], routableOnly: true });
  expectType<Exact<typeof listed, AgentStatus[]>>();

  await client.startActivity("alice", ActivityKind.CALL, "call-1");
  await client.endActivity("alice", "call-1", { wrapUpSeconds: 30 });

  const types = await client.statusTypes.list({ includeArchived: true });
  expectType<Exact<typeof types, StatusType[]>>();

  // @ts-expect-error the activity kind is an enum, not a string
  await client.startActivity("alice", "call", "call-2");
  // @ts-expect-error options are named
  await client.setStatus("alice", "break", "coffee");

  const subscription = client.subscribe({ filter: { teams: ["blue"] }, fromRevision: 7 });
  expectType<Exact<typeof subscription, Subscription>>();
  expectType<Exact<typeof subscription.revision, number | undefined>>();
  for await (const item of subscription) {
    expectType<Exact<typeof item, SubscriptionItem>>();
    if (item.type === "snapshot") {
      expectType<Exact<typeof item.presences, readonly AgentStatus[]>>();
      expectType<Exact<typeof item.resync, boolean>>();
    } else {
      expectType<Exact<typeof item.event, PresenceEvent>>();
    }
  }

  const session = client.session("alice", { clientName: "desktop" });
  expectType<Exact<typeof session, AgentSession>>();
  const first = await session.start();
  expectType<Exact<typeof first, AgentStatus>>();
  for await (const update of session.updates()) {
    expectType<Exact<typeof update, AgentStatus>>();
  }

  try {
    await client.setStatus("alice", "break");
  } catch (error) {
    if (error instanceof QuotaExceededError) {
      expectType<Exact<typeof error.used, number | undefined>>();
      expectType<Exact<typeof error.limit, number | undefined>>();
    } else if (error instanceof StaleRevisionError) {
      expectType<Exact<typeof error.currentRevision, number | undefined>>();
      expectType<Exact<typeof error.violations, readonly PreconditionViolation[]>>();
    } else if (error instanceof EtagMismatchError) {
      expectType<Exact<typeof error.currentEtag, string>>();
    } else if (error instanceof PresenceError) {
      expectType<Exact<typeof error.code, Code>>();
      expectType<Exact<typeof error.reason, string>>();
    }
  }
  client.close();
}
