"""An agent-desktop backend: keeps the agent connected, shows and changes status.

It holds the agent's session (reconnecting by itself), prints the current
and upcoming status whenever the server pushes a change, and reads commands
from the terminal::

    status lunch        choose a status (upcoming while a call runs)
    call c-1 / end c-1  a call starts / ends (what the telephony would say)
    cancel              drop the upcoming status
    list                the statuses the agent may choose
    quit

Against a local server (``presence-server`` running in another terminal)::

    .venv/bin/python clients/python/examples/agent_desktop.py --agent alice --create

``--create`` makes the agent (in ``--team``, blue by default) unless it exists.
``--demo`` plays a short scripted shift instead of reading commands; a step
the server refuses is shown like a typed one, and the demo's call is always
ended, so the demo can be played again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Sequence

from presence_client import (
    AgentSession,
    AlreadyExistsError,
    PresenceClient,
    PresenceError,
)
from presence_client.messages import (
    ActivityKind,
    Agent,
    AgentStatus,
    Outcome,
    StatusKind,
)

DEMO_CALL = "demo-call-1"
DEMO = (
    "status available",
    f"call {DEMO_CALL}",
    "status lunch",
    f"end {DEMO_CALL}",
    "status available",
)


def describe(presence: AgentStatus) -> str:
    """One line: the status in effect, the chosen one, the upcoming one."""
    line = f"[{presence.agent_id}] now: {presence.effective_status.name}"
    if presence.effective_status.id != presence.status.id:
        line += f" (chosen: {presence.status.name})"
    if presence.HasField("upcoming_status"):
        line += f" | upcoming: {presence.upcoming_status.name}"
    if presence.limit_per_shift:
        line += f" | use {presence.uses_this_shift} of {presence.limit_per_shift}"
    if presence.HasField("overage_since"):
        line += " | OVER TIME"
    return line


class Desktop:
    """The backend of one agent's desktop: its session and its commands."""

    def __init__(self, client: PresenceClient, session: AgentSession) -> None:
        self.client = client
        self.session = session
        self.agent = session.agent_id
        # What the session started with is shown already; only a change that
        # made a newer revision is worth waiting for (an unchanged one is not).
        self.shown = session.presence.revision if session.presence else 0
        self._shown_more = asyncio.Event()
        self._updates = session.updates()

    async def show_updates(self) -> None:
        """Print every presence the server pushes to the session."""
        async for presence in self._updates:
            print(describe(presence), flush=True)
            self.shown = presence.revision
            self._shown_more.set()
            self._shown_more = asyncio.Event()

    async def until_shown(self, revision: int) -> None:
        while self.shown < revision:
            await self._shown_more.wait()

    async def run(self, command: str) -> int | None:
        """Carry out one command; the revision it made, or None to stop."""
        verb, _, argument = command.strip().partition(" ")
        argument = argument.strip()
        if verb in ("quit", "exit"):
            return None
        if verb == "status" and argument:
            change = await self.client.set_status(self.agent, argument)
            if change.outcome == Outcome.OUTCOME_UPCOMING:
                print(f"  {argument} will apply when the activity ends")
            return change.presence.revision
        if verb == "call" and argument:
            kind = ActivityKind.ACTIVITY_KIND_CALL
            change = await self.client.start_activity(self.agent, kind, argument)
            return change.presence.revision
        if verb == "end" and argument:
            change = await self.client.end_activity(self.agent, argument)
            return change.presence.revision
        if verb == "cancel":
            change = await self.client.cancel_upcoming_status(self.agent)
            return change.presence.revision
        if verb == "list":
            for status_type in await self.client.status_types.list(
                selectable_only=True
            ):
                kind_name = StatusKind.Name(status_type.kind)
                kind_name = kind_name.removeprefix("STATUS_KIND_").lower()
                print(f"  {status_type.id:<12} {status_type.name:<16} {kind_name}")
        elif verb:
            print("  commands: status ID, call ID, end ID, cancel, list, quit")
        return 0


async def typed_lines() -> asyncio.Queue[str | None]:
    """Lines typed on stdin, read without blocking the event loop."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    # A daemon thread: a read blocked on the terminal must not hold up exit.
    threading.Thread(target=pump, name="stdin", daemon=True).start()
    return queue


async def play_demo(desktop: Desktop) -> None:
    """Each step of ``DEMO``; a refusal is shown, and the call always ends."""
    try:
        for command in DEMO:
            print(f"> {command}", flush=True)
            try:
                revision = await desktop.run(command)
            except PresenceError as error:
                print(f"  refused: {error.message}", flush=True)
                continue
            await desktop.until_shown(revision or 0)
    finally:
        # A demo cut short (refused, Ctrl-C) must not leave the agent on a call.
        with contextlib.suppress(PresenceError):
            await desktop.client.end_activity(desktop.agent, DEMO_CALL)


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An agent-desktop backend.")
    parser.add_argument("--server", default="127.0.0.1:50051", help="host:port")
    parser.add_argument(
        "--token",
        default=os.environ.get("PRESENCE_TOKEN") or None,
        help="bearer token (default: $PRESENCE_TOKEN); leave out for a server "
        "in development mode",
    )
    parser.add_argument("--agent", required=True, help="the agent's id")
    parser.add_argument("--create", action="store_true", help="create it if new")
    parser.add_argument("--team", default="blue", help="its team, with --create")
    parser.add_argument("--demo", action="store_true", help="play a scripted shift")
    options = parser.parse_args(argv)

    async with PresenceClient(options.server, token=options.token) as client:
        if options.create:
            with contextlib.suppress(AlreadyExistsError):
                await client.agents.create(
                    Agent(
                        id=options.agent,
                        display_name=options.agent,
                        team=options.team,
                    )
                )

        name = "agent desktop example"
        async with client.session(options.agent, client_name=name) as session:
            desktop = Desktop(client, session)
            assert session.presence is not None
            print(describe(session.presence), flush=True)
            printer = asyncio.create_task(desktop.show_updates())
            try:
                if options.demo:
                    await play_demo(desktop)
                else:
                    lines = await typed_lines()
                    while (line := await lines.get()) is not None:
                        try:
                            if await desktop.run(line) is None:
                                break
                        except PresenceError as error:
                            print(f"  refused: {error.message}", flush=True)
            finally:
                printer.cancel()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
