"""A small asyncio client for the Asterisk Manager Interface (AMI).

Why our own: the asyncio AMI clients on PyPI are either unmaintained (the
best known had its last release in 2021) or young, untyped and without a way
to drive their reconnect timing from an injected clock. AMI itself is small:

- TCP; the server greets with one line (``Asterisk Call Manager/13.0.0``);
- every message is ``Key: Value`` lines ending in CRLF, and a blank line
  ends the message; keys may repeat (``PresenceState`` answers with two
  ``Message`` lines), values may be empty;
- an action carries an ``ActionID``; its ``Response`` repeats it. Responses
  with ``EventList: start`` are followed by events carrying the same
  ``ActionID`` and closed by one with ``EventList: Complete``;
- everything else is an event, and events arrive interleaved with responses.

``AmiClient`` keeps one connection up: connect, read the greeting, log in,
then read; on any loss it fails the actions in flight and reconnects with
exponential backoff and jitter (reset after a successful login). Actions are
matched to their responses by ``ActionID``, never by order.

The secret is only ever written to the socket: it is not logged, not put in
an exception, and ``repr`` of the client does not show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from presence_server.engine.clock import Clock

logger = logging.getLogger(__name__)

CRLF = b"\r\n"
END = b"\r\n\r\n"
# Events can be long (a channel's variables); responses never are.
READ_LIMIT = 1024 * 1024


class AmiError(Exception):
    """Asterisk answered an action with ``Response: Error``."""

    def __init__(self, action: str, response: Message) -> None:
        self.message = response.get("Message")
        super().__init__(f"{action}: {self.message or 'error'}")
        self.action = action
        self.response = response


class AmiConnectionError(ConnectionError):
    """Not connected, or the connection was lost before the answer."""


class AmiAuthError(AmiConnectionError):
    """The login was refused; retrying will not help until someone acts."""


@dataclass(frozen=True, slots=True)
class Message:
    """One AMI message: its fields in order (keys may repeat)."""

    fields: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str = "") -> str:
        """The first value of ``key`` (case-insensitive), or ``default``."""
        wanted = key.lower()
        for name, value in self.fields:
            if name.lower() == wanted:
                return value
        return default

    def all(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.fields if name.lower() == wanted]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and any(
            name.lower() == key.lower() for name, _ in self.fields
        )

    @property
    def event(self) -> str:
        return self.get("Event")

    @property
    def response(self) -> str:
        return self.get("Response")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to an action: its response, and the events of a list."""

    response: Message
    events: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        return self.response.response.lower() in ("success", "goodbye", "follows")

    @property
    def message(self) -> str:
        return self.response.get("Message")


def parse(block: bytes) -> Message:
    """A message from its bytes (without the blank line that ended it)."""
    fields: list[tuple[str, str]] = []
    for raw in block.split(b"\n"):
        line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            # Not a field (a stray line of "Command" output): keep it whole.
            fields.append(("", line))
            continue
        fields.append((name.strip(), value[1:] if value.startswith(" ") else value))
    return Message(tuple(fields))


def encode(fields: Iterable[tuple[str, str]]) -> bytes:
    """An action's bytes. Refuses values that would break the framing."""
    out = bytearray()
    for name, value in fields:
        if any(c in name + value for c in "\r\n") or ":" in name or not name:
            raise ValueError(f"AMI field {name!r} cannot carry line breaks")
        out += f"{name}: {value}".encode() + CRLF
    return bytes(out + CRLF)


@dataclass(slots=True)
class _Pending:
    action: str
    future: asyncio.Future[Reply]
    response: Message | None = None
    events: list[Message] = field(default_factory=list)


class AmiClient:
    """One AMI connection, kept up until ``stop``.

    Args:
        host, port: where Asterisk's manager listens.
        username, secret: a ``manager.conf`` user.
        clock: reconnect backoff waits on it.
        on_event: called with every event that is not part of an action's
            list, in order. Must not block.
        on_connected: awaited after each successful login, before events are
            read further (the adapter reconciles here).
        on_disconnected: called with a reason after each loss, and after each
            failed attempt to connect.
        connect_timeout: for the TCP connect, the greeting and the login,
            and for the answer to a keep-alive ``Ping``.
        backoff: first and longest wait between connection attempts.
        ping: a ``Ping`` is sent this often; without an answer the connection
            is dropped and made again (a silently dead TCP peer is found).
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: SecretStr,
        clock: Clock,
        *,
        on_event: Callable[[Message], None],
        on_connected: Callable[[], Awaitable[None]],
        on_disconnected: Callable[[str], None],
        connect_timeout: float = 5.0,
        backoff: tuple[float, float] = (1.0, 30.0),
        ping: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self.clock = clock
        self._on_event = on_event
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._connect_timeout = connect_timeout
        self._backoff = backoff
        self._ping = ping
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._prefix = ""
        self._task: asyncio.Task[None] | None = None
        self._logged_in = False
        self.greeting = ""

    def __repr__(self) -> str:
        return f"AmiClient({self.username}@{self.host}:{self.port})"

    @property
    def connected(self) -> bool:
        return self._logged_in

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"ami-{self.where}")

    async def stop(self) -> None:
        """Close the connection and stop reconnecting; prompt."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._close("stopped")

    async def action(
        self,
        name: str,
        fields: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        *,
        seconds: float = 10.0,
    ) -> Reply:
        """Send an action and wait for its whole answer.

        Raises ``AmiError`` for ``Response: Error``, ``AmiConnectionError``
        when not connected or the connection drops, ``TimeoutError`` after
        ``seconds``.
        """
        if not self._logged_in:
            raise AmiConnectionError(f"not connected to Asterisk at {self.where}")
        reply = await self._send(name, fields, seconds)
        if not reply.ok:
            raise AmiError(name, reply.response)
        return reply

    # --- the connection ---------------------------------------------------------

    async def _run(self) -> None:
        delay = self._backoff[0]
        while True:
            try:
                reason = await self._session()
            except AmiAuthError as error:
                reason = str(error)
                delay = self._backoff[1]
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                reason = _reason(error)
            else:
                delay = self._backoff[0]
            self._close(reason)
            self._on_disconnected(reason)
            wait = delay + random.uniform(0, self._backoff[0])
            logger.warning(
                "Asterisk at %s unreachable (%s); retrying in %.1f s",
                self.where,
                reason,
                wait,
            )
            await self.clock.sleep_until(self.clock.now() + timedelta(seconds=wait))
            delay = min(delay * 2, self._backoff[1])

    async def _session(self) -> str:
        """One connection, from connect to loss; returns why it ended."""
        async with asyncio.timeout(self._connect_timeout):
            reader, writer = await asyncio.open_connection(
                self.host, self.port, limit=READ_LIMIT
            )
            self._writer = writer
            greeting = await reader.readline()
        self.greeting = greeting.decode("utf-8", "replace").strip()
        if not self.greeting.startswith("Asterisk Call Manager"):
            raise AmiConnectionError(
                f"{self.where} is not an AMI server (said {self.greeting[:60]!r})"
            )
        self._prefix = secrets.token_hex(4)
        reading = asyncio.create_task(self._read(reader), name=f"ami-{self.where}-read")
        try:
            secret = ("Secret", self._secret.get_secret_value())
            login = await self._send(
                "Login", [("Username", self.username), secret], self._connect_timeout
            )
            if not login.ok:
                raise AmiAuthError(
                    f"Asterisk at {self.where} refused the login of "
                    f"{self.username!r}: {login.message or 'no reason given'}"
                )
            self._logged_in = True
            logger.info(
                "connected to Asterisk at %s as %s (%s)",
                self.where,
                self.username,
                self.greeting,
            )
            try:
                await self._on_connected()
            except Exception:
                logger.exception("handling the connection to %s failed", self.where)
            pinging = asyncio.create_task(self._keep_alive(writer))
            try:
                await reading
            finally:
                pinging.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinging
        except asyncio.IncompleteReadError:
            return "Asterisk closed the connection"
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
        return "Asterisk closed the connection"

    async def _keep_alive(self, writer: asyncio.StreamWriter) -> None:
        while True:
            await self.clock.sleep_until(
                self.clock.now() + timedelta(seconds=self._ping)
            )
            try:
                await self._send("Ping", (), self._connect_timeout)
            except (TimeoutError, AmiConnectionError) as error:
                logger.warning(
                    "Asterisk at %s did not answer a ping (%s); reconnecting",
                    self.where,
                    _reason(error),
                )
                # The reader then ends, and the connection is made again.
                writer.close()
                return

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                block = await reader.readuntil(END)
                message = parse(block[: -len(END)])
                if message.fields:
                    self._dispatch(message)
        except BaseException as error:
            # Whatever ends the reading fails the actions waiting for answers.
            self._fail_pending(_reason(error))
            raise

    def _dispatch(self, message: Message) -> None:
        pending = self._pending.get(message.action_id) if message.action_id else None
        if "Response" in message and pending is not None:
            pending.response = message
            if message.get("EventList").lower() != "start":
                self._finish(message.action_id, pending)
            return
        if pending is not None and pending.response is not None and message.event:
            # One of the events of a list answer.
            if message.get("EventList").lower() == "complete":
                self._finish(message.action_id, pending)
            else:
                pending.events.append(message)
            return
        if message.event:
            try:
                self._on_event(message)
            except Exception:
                logger.exception("handling AMI event %s failed", message.event)

    def _finish(self, action_id: str, pending: _Pending) -> None:
        del self._pending[action_id]
        if not pending.future.done() and pending.response is not None:
            pending.future.set_result(Reply(pending.response, tuple(pending.events)))

    async def _send(
        self,
        name: str,
        fields: Mapping[str, str] | Sequence[tuple[str, str]],
        seconds: float,
    ) -> Reply:
        writer = self._writer
        if writer is None:
            raise AmiConnectionError(f"not connected to Asterisk at {self.where}")
        action_id = f"{self._prefix}-{next(self._ids)}"
        items = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
        frame = encode([("Action", name), ("ActionID", action_id), *items])
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(name, future)
        try:
            try:
                writer.write(frame)
                await writer.drain()
            except OSError as error:
                raise AmiConnectionError(
                    f"connection to {self.where} lost: {_reason(error)}"
                ) from error
            async with asyncio.timeout(seconds):
                return await future
        finally:
            self._pending.pop(action_id, None)

    def _close(self, reason: str) -> None:
        self._logged_in = False
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._fail_pending(reason)

    def _fail_pending(self, reason: str) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(
                    AmiConnectionError(f"connection to {self.where} lost: {reason}")
                )
        self._pending.clear()


def _reason(error: BaseException) -> str:
    if isinstance(error, asyncio.IncompleteReadError):
        return "Asterisk closed the connection"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
