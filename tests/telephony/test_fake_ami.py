"""The fake Asterisk answers like the recorded real one.

The transcript in ``shared/reference/asterisk/ami-transcript.txt`` is parsed
and replayed, section by section, over a raw TCP connection (not through the
adapter's AMI client, so the fake is checked on its own). Every answer must
have the recorded shape: the same messages, each with the same fields in the
same order and the same values, except those that depend on the moment or
the session (times, addresses, ids).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.telephony.fake_ami import FakeAsterisk

TRANSCRIPT = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "reference"
    / "asterisk"
    / "ami-transcript.txt"
)

# Fields whose values are compared; others vary by time, session or call.
COMPARED = frozenset(
    {
        *("Response", "Message", "Event", "EventList", "ListItems", "ActionID"),
        *("Queue", "Interface", "MemberName", "StateInterface", "Membership"),
        *("Penalty", "Paused", "PausedReason", "Status", "InCall", "Ringinuse"),
        *("Wrapuptime", "Location", "Name", "Strategy", "Max", "Calls", "Weight"),
        *("Device", "State", "Family", "Key", "Val", "Presentity", "Subtype"),
        *("PresenceMessage", "Privilege", "Severity", "Service", "EventVersion"),
        *("AccountID", "UsingPassword"),
    }
)

# Fields of the queue call's events that vary from call to call; every other
# value (channel names, states, caller ids, contexts, extensions,
# priorities) must be the recorded one.
CALL_VARYING = frozenset(
    {"Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "BridgeUniqueid"}
)

Fields = list[tuple[str, str]]


@dataclass
class Exchange:
    """What the client sent in one go, and what came back before it spoke."""

    sent: list[Fields] = field(default_factory=list)
    answered: list[Fields] = field(default_factory=list)


@dataclass
class Section:
    title: str
    exchanges: list[Exchange] = field(default_factory=list)


def parse_transcript(path: Path) -> list[Section]:
    sections: list[Section] = []
    current: Fields = []
    direction = ""

    def flush() -> None:
        nonlocal current
        if current:
            section = sections[-1]
            if direction == ">>":
                if not section.exchanges or section.exchanges[-1].answered:
                    section.exchanges.append(Exchange())
                section.exchanges[-1].sent.append(current)
            else:
                if not section.exchanges:
                    section.exchanges.append(Exchange())
                section.exchanges[-1].answered.append(current)
        current = []

    for raw in path.read_text().splitlines():
        if raw.startswith("## "):
            flush()
            sections.append(Section(raw[3:]))
            continue
        if not raw.startswith((">> ", "<< ", ">>", "<<")):
            continue
        mark, payload = raw[:2], raw[3:]
        if mark != direction:
            flush()
            direction = mark
        if not payload:
            flush()
            continue
        if payload.startswith("Asterisk Call Manager/"):
            # The greeting is one line, with no blank line after it.
            flush()
            current.append((payload, ""))
            flush()
            continue
        current.append(_field(payload))
    flush()
    return sections


class Wire:
    """A raw AMI connection: bytes in, messages out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def greeting(self) -> str:
        line = await asyncio.wait_for(self.reader.readline(), 5)
        assert line.endswith(b"\r\n"), "the greeting line must end in CRLF"
        return line.decode().rstrip("\r\n")

    def send(self, fields: Fields) -> None:
        text = "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        self.writer.write(text.encode())

    async def read(self) -> Fields:
        block = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        body = block[:-4]
        assert b"\n" not in body.replace(b"\r\n", b""), "lines must end in CRLF"
        return [_field(line) for line in body.decode().split("\r\n")]

    async def close(self) -> None:
        self.writer.close()


@pytest.fixture(scope="module")
def sections() -> list[Section]:
    if not TRANSCRIPT.exists():
        reason = f"the reference transcript is missing: {TRANSCRIPT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
    return parse_transcript(TRANSCRIPT)


@pytest.fixture
async def asterisk() -> AsyncIterator[FakeAsterisk]:
    fake = await FakeAsterisk().start()
    yield fake
    await fake.stop()


async def connect(fake: FakeAsterisk) -> Wire:
    reader, writer = await asyncio.open_connection(fake.host, fake.port)
    return Wire(reader, writer)


def shape(message: Fields) -> tuple[tuple[str, str], ...]:
    """The message with the values that vary blanked out."""
    return tuple((k, v if k in COMPARED else "*") for k, v in message)


def by_section(sections: list[Section], start: str) -> Section:
    return next(s for s in sections if s.title.startswith(start))


async def test_the_transcript_parses_into_its_sections(sections: list[Section]) -> None:
    titles = [s.title for s in sections]

    assert titles[0] == "banner"
    assert any(t.startswith("pause in all queues") for t in titles)
    assert by_section(sections, "login").exchanges[0].sent[0][0] == (
        "Action",
        "Login",
    )


async def test_the_fake_replays_the_transcript_with_the_same_answers(
    asterisk: FakeAsterisk, sections: list[Section]
) -> None:
    wire = await connect(asterisk)
    banner = by_section(sections, "banner").exchanges[0].answered[0][0][0]
    assert await wire.greeting() == banner

    skipped = ("banner", "a caller queues", "wrong secret", "logoff")
    replayed = 0
    for section in sections:
        if section.title.startswith(skipped):
            continue
        for exchange in section.exchanges:
            for message in exchange.sent:
                wire.send(message)
            got = [await wire.read() for _ in exchange.answered]

            assert _responses(got) == _responses(exchange.answered), section.title
            assert _events(got) == _events(exchange.answered), section.title
            replayed += 1
    await wire.close()

    assert replayed >= 12


async def test_a_wrong_secret_is_refused_and_announced_like_the_transcript(
    asterisk: FakeAsterisk, sections: list[Section]
) -> None:
    first = await connect(asterisk)
    await first.greeting()
    login = by_section(sections, "login").exchanges[0]
    first.send(login.sent[0])
    for _ in login.answered:
        await first.read()
    wrong = by_section(sections, "wrong secret").exchanges[0].answered
    goodbye = by_section(sections, "logoff").exchanges[0]

    second = await connect(asterisk)
    assert await second.greeting() == wrong[0][0][0]
    second.send(
        [
            ("Action", "Login"),
            ("Username", "presence"),
            ("Secret", "not-the-secret"),
            ("ActionID", "bad-login"),
        ]
    )
    refused = await second.read()
    first.send(goodbye.sent[0])
    after = [await first.read() for _ in goodbye.answered]
    await second.close()
    await first.close()

    assert shape(refused) == shape(wrong[1])
    assert [shape(m) for m in after] == [shape(m) for m in goodbye.answered]


async def _member_in_support(
    asterisk: FakeAsterisk, sections: list[Section]
) -> tuple[list[Fields], Wire]:
    """The transcript's queue call as recorded, and a logged-in connection
    whose agent 1001 has just joined ``support`` as in the transcript."""
    recorded = [
        m
        for exchange in by_section(sections, "a caller queues").exchanges
        for m in exchange.answered
    ]
    wire = await connect(asterisk)
    await wire.greeting()
    for exchange in by_section(sections, "login").exchanges:
        wire.send(exchange.sent[0])
        for _ in exchange.answered:
            await wire.read()
    wire.send(
        [
            ("Action", "QueueAdd"),
            ("Queue", "support"),
            ("Interface", "Local/1001@agents/n"),
            ("MemberName", "Agent 1001"),
            ("StateInterface", "Custom:1001"),
        ]
    )
    for _ in range(4):
        await wire.read()
    return recorded, wire


async def test_a_simulated_queue_call_has_the_transcripts_flow(
    asterisk: FakeAsterisk, sections: list[Section]
) -> None:
    recorded, wire = await _member_in_support(asterisk, sections)

    call = asterisk.queue_call("support")
    asterisk.hang_up(call)
    got: list[Fields] = []
    # Four channels: the caller's two Local legs and the agent's two.
    while sum(1 for m in got if _get(m, "Event") == "Hangup") < 4:
        got.append(await wire.read())
    await wire.close()

    key_events = ["QueueCallerJoin", "AgentCalled", "DialBegin", "DialEnd"]
    key_events += ["QueueCallerLeave", "AgentConnect", "BridgeEnter"]
    key_events += ["AgentComplete", "Hangup"]
    mine, theirs = _queue_call(got, key_events), _queue_call(recorded, key_events)
    assert [_get(m, "Event") for m in mine] == [_get(m, "Event") for m in theirs]
    for ours, real in zip(mine, theirs, strict=True):
        assert _call_shape(ours) == _call_shape(real), _get(real, "Event")


async def test_the_agents_leg_in_a_queue_call_has_the_recorded_extension(
    asterisk: FakeAsterisk, sections: list[Section]
) -> None:
    recorded, wire = await _member_in_support(asterisk, sections)

    asterisk.queue_call("support")
    got: list[Fields] = []
    while not any(_get(m, "Event") == "AgentConnect" for m in got):
        got.append(await wire.read())
    await wire.close()

    dest = ("DestExten", "DestCallerIDNum", "DestChannel", "DestContext")
    for name in ("AgentCalled", "DialBegin", "AgentConnect"):
        ours = next(m for m in got if _get(m, "Event") == name)
        real = _queue_call(recorded, [name])[0]
        assert [_get(ours, k) for k in dest] == [_get(real, k) for k in dest], name
    called = next(m for m in got if _get(m, "Event") == "AgentCalled")
    assert (_get(called, "DestExten"), _get(called, "DestCallerIDNum")) == ("s", "s")


def _field(line: str) -> tuple[str, str]:
    """``Key: Value`` (the value may be empty); a line without a colon whole."""
    key, sep, value = line.partition(": ")
    if sep:
        return key, value
    if line.endswith(":"):
        return line[:-1], ""
    return line, ""


def _get(message: Fields, key: str) -> str:
    return next((v for k, v in message if k == key), "")


def _responses(messages: list[Fields]) -> list[tuple[tuple[str, str], ...]]:
    return [shape(m) for m in messages if m and m[0][0] == "Response"]


def _events(messages: list[Fields]) -> Counter[tuple[tuple[str, str], ...]]:
    return Counter(shape(m) for m in messages if m and m[0][0] == "Event")


def _queue_call(messages: list[Fields], names: list[str]) -> list[Fields]:
    """The named events in order, without the originate's own dialing (a
    dial with no calling channel)."""
    return [
        m
        for m in messages
        if _get(m, "Event") in names
        and (not _get(m, "Event").startswith("Dial") or _get(m, "Channel"))
    ]


def _call_shape(message: Fields) -> list[tuple[str, str]]:
    return [(k, "*" if k in CALL_VARYING else v) for k, v in message]
