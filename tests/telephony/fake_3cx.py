"""A fake 3CX v20 on a loopback port: real HTTP/1.1 and a real websocket.

It speaks what the adapter needs of 3CX's published API, with 3CX's JSON:

- ``POST /connect/token`` (form: ``client_id``, ``client_secret``,
  ``grant_type=client_credentials``) answers ``{token_type, expires_in,
  access_token}``; one live token per client id (a new one replaces the
  old), expiring on the test's clock;
- ``/xapi/v1/Users`` with ``$filter=Number eq '...'`` (quotes doubled),
  ``/Users({Id})``, ``/Users(Number='...')`` and ``PATCH /Users({Id})``
  (``204``). Each user has five forwarding profiles (``Available``,
  ``Away``, ``Out of office``, ``Custom 1`` renamed ``Lunch break``,
  ``Custom 2``), a navigation property sent only when asked for with
  ``$expand=ForwardingProfiles`` (optionally ``($select=...)``). A PATCH
  may set ``CurrentProfileName`` to a ``Name`` the user has, ``QueueStatus``
  and, as a deep update of ``ForwardingProfiles`` (``[{Id, RingMyMobile}]``),
  a profile's ``RingMyMobile``; anything else (another name, an unknown
  profile ``Id``) is refused whole with ``400`` and an OData error body;
- ``GET /callcontrol`` (every DN with its participants), the participant
  entity ``/callcontrol/{dn}/participants/{id}``, and the websocket
  ``/callcontrol/ws`` pushing ``{sequence, event: {event_type, entity,
  attached_data}}`` (0 upsert, 1 removal).

Every request is recorded. A test can take the PBX down (every connection
closed, the port refused) and bring it back on the same port, restart it
forgetting every user's profile and queue status (``restart``), revoke
tokens, make ``PATCH`` slow (``hold``) or answer ``204`` without applying it
(``drop_patches``), and start and end calls on a DN.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.frames import Opcode
from websockets.http11 import Request as WsRequest
from websockets.server import ServerProtocol

from presence_server.engine.clock import Clock

# The PBX's own logging (websockets logs handshake headers at DEBUG): a test
# checking what *we* log leaves these records out.
FAKE_LOGGER = "tests.fake_3cx"
# Name and CustomName of the forwarding profiles every user has.
PROFILES = (
    ("Available", ""),
    ("Away", ""),
    ("Out of office", ""),
    ("Custom 1", "Lunch break"),
    ("Custom 2", ""),
)
_USER_KEY = re.compile(r"/xapi/v1/Users\((?:(?P<id>\d+)|Number='(?P<number>.*)')\)")
_FILTER = re.compile(r"Number eq '(?P<literal>(?:[^']|'')*)'")
_PARTICIPANT = re.compile(r"/callcontrol/(?P<dn>[^/]+)/participants/(?P<id>\d+)")
_EXPAND = re.compile(r"ForwardingProfiles(?:\(\$select=(?P<select>[^)]*)\))?")
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized"}


@dataclass(frozen=True, slots=True)
class Received:
    """One HTTP request as the fake 3CX got it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


def _destination(number: str) -> dict[str, Any]:
    return {
        "Type": "VoiceMail",
        "Number": number,
        "External": "",
        "To": "VoiceMail",
        "Name": "",
    }


def _route(number: str) -> dict[str, Any]:
    """A profile's route as 3CX holds it: every call to voicemail."""
    route: dict[str, Any] = {}
    for case in ("Busy", "NoAnswer", "NotRegistered"):
        route[f"{case}AllCalls"] = True
        route[f"{case}Internal"] = _destination(number)
        route[f"{case}External"] = _destination(number)
    return route


@dataclass
class Profile:
    """One forwarding profile of a user."""

    id: int
    name: str
    custom_name: str = ""
    ring_my_mobile: bool = False

    def as_json(self, number: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.name,
            "CustomName": self.custom_name,
            "CustomMessage": "",
            "RingMyMobile": self.ring_my_mobile,
            "AcceptMultipleCalls": False,
            "BlockPushCalls": False,
            "DisableRingGroupCalls": False,
            "NoAnswerTimeout": 20,
            "OfficeHoursAutoQueueLogOut": False,
            "AvailableRoute": _route(number),
            "AwayRoute": _route(number),
        }


def _profiles(user_id: int) -> list[Profile]:
    return [
        Profile(user_id * 10 + i, name, custom)
        for i, (name, custom) in enumerate(PROFILES, start=1)
    ]


@dataclass
class User:
    id: int
    number: str
    first_name: str
    current_profile: str = "Available"
    queue_status: str = "LoggedOut"
    profiles: list[Profile] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.profiles:
            self.profiles = _profiles(self.id)

    def profile(self, name: str) -> Profile:
        """The profile named ``name`` (its ``Name``)."""
        return next(p for p in self.profiles if p.name == name)

    def as_json(self, expand: str | None = None) -> dict[str, Any]:
        """The user; its profiles when ``expand`` asks for them (the value
        of ``$expand``), with the fields its ``$select`` names."""
        user = self._fields()
        wanted = _EXPAND.fullmatch(expand or "")
        if wanted is not None:
            fields = wanted["select"]
            profiles = [p.as_json(self.number) for p in self.profiles]
            if fields:
                keep = fields.split(",")
                profiles = [{k: p[k] for k in keep if k in p} for p in profiles]
            user["ForwardingProfiles"] = profiles
        return user

    def _fields(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Number": self.number,
            "FirstName": self.first_name,
            "LastName": "",
            "Enabled": True,
            "IsRegistered": True,
            "CurrentProfileName": self.current_profile,
            "QueueStatus": self.queue_status,
        }


@dataclass
class Call:
    """A call on a DN: one participant, connected."""

    dn: str
    participant_id: int
    callid: int
    status: str = "Connected"

    @property
    def entity(self) -> str:
        return f"/callcontrol/{self.dn}/participants/{self.participant_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.participant_id,
            "status": self.status,
            "dn": self.dn,
            "party_caller_name": "Caller",
            "party_dn": "10000",
            "party_caller_id": "+15551230000",
            "device_id": f"sip:{self.dn}@127.0.0.1",
            "party_dn_type": "Wexternalline",
            "direct_control": False,
            "callid": self.callid,
            "legid": 1,
        }


@dataclass
class _Token:
    value: str
    expires: datetime


@dataclass
class _Socket:
    protocol: ServerProtocol
    writer: asyncio.StreamWriter


class Fake3cx:
    """The fake PBX. ``start`` it, point the adapter at ``url``."""

    def __init__(
        self,
        clock: Clock,
        client_id: str = "presence",
        client_secret: str = "3cx-secret",
        expires_in: int = 3600,
    ) -> None:
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.users: dict[int, User] = {
            7: User(7, "1001", "Ann"),
            8: User(8, "1002", "Bob"),
        }
        self.calls: dict[int, Call] = {}
        self.received: list[Received] = []
        self.port = 0
        self._tokens: dict[str, _Token] = {}
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._sockets: list[_Socket] = []
        self._ids = itertools.count(1)
        self._sequence = itertools.count(1)
        # While set and not yet fired, PATCH waits for it (a slow 3CX).
        self.hold: asyncio.Event | None = None
        # PATCHes that waited for ``hold``.
        self.held = 0
        # This many PATCHes are answered 204 but not applied (drift).
        self.drop_patches = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Fake3cx:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Go down: refuse connections and drop the open ones."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._sockets.clear()
        if server is not None:
            await server.wait_closed()

    async def restart(self, *, forget: bool = True) -> None:
        """Go down and come back on the same port. Tokens and calls are lost;
        with ``forget`` every user is back at its defaults (``Available``,
        ``LoggedOut``, ring my mobile off), as a PBX restored from an older
        backup would be."""
        await self.stop()
        self._tokens.clear()
        self.calls.clear()
        if forget:
            for user in self.users.values():
                user.current_profile, user.queue_status = "Available", "LoggedOut"
                user.profiles = _profiles(user.id)
        await self.start()

    # --- what a test looks at and makes happen ------------------------------------

    def user(self, number: str) -> User:
        return next(u for u in self.users.values() if u.number == number)

    def requests(self, method: str, path: str = "") -> list[Received]:
        return [
            r for r in self.received if r.method == method and r.path.startswith(path)
        ]

    def patches(self, number: str, since: int = 0) -> list[Received]:
        path = f"/xapi/v1/Users({self.user(number).id})"
        return [
            r for r in self.received[since:] if (r.method, r.path) == ("PATCH", path)
        ]

    @property
    def sockets(self) -> int:
        return len(self._sockets)

    def revoke_tokens(self) -> None:
        """Forget every token, as a PBX restart does."""
        self._tokens.clear()

    def start_call(self, dn: str) -> Call:
        call = Call(dn, next(self._ids), 1000 + next(self._ids))
        self.calls[call.participant_id] = call
        self._push(0, call.entity)
        return call

    def end_call(self, call: Call) -> None:
        del self.calls[call.participant_id]
        self._push(1, call.entity)

    def _push(self, event_type: int, entity: str) -> None:
        message = {
            "sequence": next(self._sequence),
            "event": {"event_type": event_type, "entity": entity, "attached_data": {}},
        }
        for socket in self._sockets:
            socket.protocol.send_text(json.dumps(message).encode())
            _flush(socket)

    # --- HTTP -------------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                if headers.get("upgrade", "").lower() == "websocket":
                    await self._websocket(head, target, headers, reader, writer)
                    return
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                split = urlsplit(target)
                query = {k: v[0] for k, v in parse_qs(split.query).items()}
                path = unquote(split.path)
                if method == "PATCH" and self.hold is not None:
                    self.held += 1
                    await self.hold.wait()
                    if reader.at_eof():
                        # The client went away while we were slow: dropped.
                        return
                status, answer = self._answer(method, path, query, headers, body)
                self.received.append(
                    Received(method, path, query, headers, body, status)
                )
                payload = b"" if answer is None else json.dumps(answer).encode()
                head_out = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                if status != 204:
                    head_out += "Content-Type: application/json\r\n"
                    head_out += f"Content-Length: {len(payload)}\r\n"
                writer.write(head_out.encode() + b"\r\n" + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _authorized(self, headers: dict[str, str]) -> bool:
        token = self._tokens.get(self.client_id)
        given = headers.get("authorization", "")
        return (
            token is not None
            and given == f"Bearer {token.value}"
            and self.clock.now() < token.expires
        )

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, Any]:
        if (method, path) == ("POST", "/connect/token"):
            return self._token(body)
        if not self._authorized(headers):
            return 401, None
        if (method, path) == ("GET", "/xapi/v1/Users"):
            return self._users(query)
        key = _USER_KEY.fullmatch(path)
        if key is not None:
            user = self._find_user(key["id"], key["number"])
            if user is None:
                return _error(404, "Not found")
            if method == "PATCH":
                return self._patch(user, json.loads(body))
            return 200, user.as_json(query.get("$expand"))
        if (method, path) == ("GET", "/callcontrol"):
            return 200, self._dns()
        participant = _PARTICIPANT.fullmatch(path)
        if method == "GET" and participant is not None:
            call = self.calls.get(int(participant["id"]))
            if call is None or call.dn != participant["dn"]:
                return 404, None
            return 200, call.as_json()
        return 404, None

    def _token(self, body: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 400, {"error": "invalid_client"}
        value = secrets.token_urlsafe(24)
        expires = self.clock.now() + timedelta(seconds=self.expires_in)
        self._tokens[self.client_id] = _Token(value, expires)
        answer = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": value,
        }
        return 200, answer

    def _users(self, query: dict[str, str]) -> tuple[int, Any]:
        users = list(self.users.values())
        if "$filter" in query:
            match = _FILTER.fullmatch(query["$filter"])
            if match is None:
                return _error(400, "unsupported filter")
            number = match["literal"].replace("''", "'")
            users = [u for u in users if u.number == number]
        return 200, {
            "@odata.context": "/xapi/v1/$metadata#Users",
            "value": [u.as_json(query.get("$expand")) for u in users],
        }

    def _find_user(self, user_id: str | None, number: str | None) -> User | None:
        if user_id is not None:
            return self.users.get(int(user_id))
        wanted = (number or "").replace("''", "'")
        return next((u for u in self.users.values() if u.number == wanted), None)

    def _patch(self, user: User, change: dict[str, Any]) -> tuple[int, Any]:
        # Checked whole before anything is applied: a refused PATCH changes
        # nothing.
        profile = change.get("CurrentProfileName", user.current_profile)
        queue = change.get("QueueStatus", user.queue_status)
        if profile not in {p.name for p in user.profiles}:
            return _error(400, f"Invalid value of CurrentProfileName: {profile}")
        if queue not in ("LoggedIn", "LoggedOut"):
            return _error(400, f"Invalid value of QueueStatus: {queue}")
        by_id = {p.id: p for p in user.profiles}
        ringing: list[tuple[Profile, bool]] = []
        for item in change.get("ForwardingProfiles", []):
            found = by_id.get(item.get("Id"))
            if found is None:
                return _error(400, f"ForwardingProfile {item.get('Id')} not found")
            ringing.append(
                (found, bool(item.get("RingMyMobile", found.ring_my_mobile)))
            )
        if self.drop_patches > 0:
            self.drop_patches -= 1
            return 204, None
        user.current_profile, user.queue_status = profile, queue
        for found, ring in ringing:
            found.ring_my_mobile = ring
        return 204, None

    def _dns(self) -> list[dict[str, Any]]:
        dns = []
        for user in self.users.values():
            calls = [c for c in self.calls.values() if c.dn == user.number]
            dns.append(
                {
                    "dn": user.number,
                    "type": "Wextension",
                    "devices": [],
                    "participants": [c.as_json() for c in calls],
                }
            )
        return dns

    # --- the websocket ------------------------------------------------------------

    async def _websocket(
        self,
        head: bytes,
        target: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        protocol = ServerProtocol(logger=logging.getLogger(FAKE_LOGGER))
        protocol.receive_data(head)
        request = protocol.events_received()[0]
        assert isinstance(request, WsRequest)
        authorized = self._authorized(headers) and target == "/callcontrol/ws"
        self.received.append(
            Received("GET", target, {}, headers, b"", 101 if authorized else 401)
        )
        if authorized:
            response = protocol.accept(request)
        else:
            response = protocol.reject(401, "Unauthorized\n")
        protocol.send_response(response)
        socket = _Socket(protocol, writer)
        _flush(socket)
        if not authorized:
            return
        self._sockets.append(socket)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                protocol.receive_data(data)
                for frame in protocol.events_received():
                    if getattr(frame, "opcode", None) is Opcode.CLOSE:
                        _flush(socket)
                        return
                _flush(socket)
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove(socket)


def _error(status: int, message: str) -> tuple[int, Any]:
    """An OData error answer."""
    return status, {"error": {"code": "", "message": message}}


def _flush(socket: _Socket) -> None:
    for chunk in socket.protocol.data_to_send():
        if chunk and not socket.writer.is_closing():
            socket.writer.write(chunk)
