"""A supervisor feed: a team's presence, live, with colors and timers.

It subscribes to the team, prints a board of every agent (status in its
color, how long they have been in it, what comes next), then one line per
change, saying how long the agent spent in the status it left. The board is
printed again every ``--board-every`` seconds with the timers brought up to
date. The subscription reconnects and resumes by itself when the server
restarts: no change is lost or shown twice, and the feed says when it lost
the server (the board is stale until "reconnected").

Against a local server (``presence-server`` running in another terminal)::

    python clients/python/examples/supervisor_feed.py --team blue

Colors are on when writing to a terminal (``--color`` / ``--no-color``
force it, and so does ``NO_COLOR``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from presence_client import PresenceClient, PresenceError, Snapshot
from presence_client.messages import AgentStatus, EventType, PresenceEvent, StatusRef

RESET = "\x1b[0m"
DIM = "\x1b[2m"


class Painter:
    """Status names in their own color (24-bit ANSI), or plain."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def status(self, ref: StatusRef) -> str:
        if not self.enabled or len(ref.color) != 7:
            return ref.name
        red, green, blue = (int(ref.color[i : i + 2], 16) for i in (1, 3, 5))
        return f"\x1b[38;2;{red};{green};{blue}m\u25cf {ref.name}{RESET}"

    def dim(self, text: str) -> str:
        return f"{DIM}{text}{RESET}" if self.enabled else text


def timer(seconds: float) -> str:
    """``1h02m``, ``4m05s`` or ``12s``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Feed:
    """What the supervisor sees: the board and the stream of changes."""

    def __init__(self, painter: Painter) -> None:
        self.paint = painter
        self.board: dict[str, AgentStatus] = {}
        self.down = False

    def lost(self, error: PresenceError, attempt: int, delay: float) -> None:
        """The subscription could not (re)connect: say so once per outage."""
        if not self.down:
            self.down = True
            print(f"--- disconnected, reconnecting ({error.message})", flush=True)

    def back(self) -> None:
        if self.down:
            self.down = False
            print("--- reconnected", flush=True)

    def load(self, snapshot: Snapshot) -> None:
        self.board = {p.agent_id: p for p in snapshot.presences}
        note = " (resynchronized)" if snapshot.resync else ""
        print(f"--- {len(self.board)} agents at revision {snapshot.revision}{note}")
        self.print_board()

    def print_board(self) -> None:
        now = datetime.now(UTC)
        for agent_id, presence in sorted(self.board.items()):
            since = presence.since.ToDatetime(tzinfo=UTC)
            line = (
                f"  {agent_id:<16} {self.paint.status(presence.effective_status)}"
                f" {self.paint.dim('for ' + timer((now - since).total_seconds()))}"
            )
            if presence.HasField("upcoming_status"):
                line += f"  next: {self.paint.status(presence.upcoming_status)}"
            if presence.HasField("overage_since"):
                line += "  OVER TIME"
            print(line, flush=True)

    def apply(self, event: PresenceEvent) -> None:
        when = event.time.ToDatetime(tzinfo=UTC).astimezone()
        stamp = when.strftime("%H:%M:%S")
        kind = EventType.Name(event.type).removeprefix("EVENT_TYPE_").lower()
        if event.type == EventType.EVENT_TYPE_STATUS_TYPE_CHANGED:
            name = event.status_type.name
            print(f"{stamp}  status type {name!r} changed", flush=True)
            return
        if not event.HasField("current"):
            return
        current = event.current
        self.board[event.agent_id] = current
        line = f"{stamp}  {event.agent_id:<16} {kind:<18}"
        before = event.previous if event.HasField("previous") else None
        if before and before.effective_status.id != current.effective_status.id:
            spent = (when - before.since.ToDatetime(tzinfo=UTC)).total_seconds()
            line += f" {self.paint.status(before.effective_status)} ->"
            line += f" {self.paint.status(current.effective_status)}"
            line += " " + self.paint.dim(f"(after {timer(spent)})")
        else:
            line += f" {self.paint.status(current.effective_status)}"
        if current.HasField("upcoming_status"):
            line += f"  next: {self.paint.status(current.upcoming_status)}"
        if event.reason:
            line += " " + self.paint.dim(f"- {event.reason}")
        print(line, flush=True)


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A team's presence, live.")
    parser.add_argument("--server", default="127.0.0.1:50051", help="host:port")
    parser.add_argument(
        "--token",
        default=os.environ.get("PRESENCE_TOKEN") or None,
        help="bearer token (default: $PRESENCE_TOKEN); leave out for a server "
        "in development mode",
    )
    parser.add_argument("--team", action="append", default=[], help="repeatable")
    parser.add_argument("--board-every", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("--events", type=int, default=0, help="stop after N changes")
    parser.add_argument("--color", action=argparse.BooleanOptionalAction)
    options = parser.parse_args(argv)
    color = options.color
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    feed = Feed(Painter(color))

    async def redraw() -> None:
        while True:
            await asyncio.sleep(options.board_every)
            print(f"--- {datetime.now().astimezone():%H:%M:%S}")
            feed.print_board()

    async with PresenceClient(options.server, token=options.token) as client:
        board = asyncio.create_task(redraw())
        seen = 0
        try:
            async with client.subscribe(
                teams=options.team, on_retry=feed.lost, on_connect=feed.back
            ) as subscription:
                async for item in subscription:
                    if isinstance(item, Snapshot):
                        feed.load(item)
                        continue
                    feed.apply(item)
                    seen += 1
                    if seen == options.events:
                        break
        finally:
            board.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await board
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
