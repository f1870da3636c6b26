"""A fake Asterisk that speaks the real Asterisk Manager Interface over TCP.

It answers like the Asterisk recorded in
``shared/reference/asterisk/ami-transcript.txt`` (``test_fake_ami`` replays
that transcript against it): the greeting line, CRLF framing with a blank line
ending each message, ``ActionID`` echoed in responses, list answers
(``EventList: start`` ... ``EventList: Complete``), and the events Asterisk
sends, in its field order. It keeps what a real one would:

- queues (``support`` and ``sales`` by default, ringall) with dynamic
  members, their pauses and reasons, and static members (``queues.conf``,
  FreePBX's static agents: ``add_static_member``) that AMI cannot remove;
- AstDB (``DBPut`` / ``DBGet`` / ``DBDel``), custom device states and custom
  presence (``Setvar DEVICE_STATE(...)``, ``PRESENCE_STATE(...)``,
  ``PresenceState``);
- live channels (``CoreShowChannels``), made by simulated calls: a queue call
  (``queue_call`` / ``hang_up``) with the transcript's flow from
  ``Newchannel`` through ``AgentConnect`` to ``AgentComplete``, and a call on
  a phone (``device_call``) with ``Newchannel`` / ``Newstate`` / ``Hangup``.

A test can stop and start it on the same port (``restart``: members are
kept only with ``persistent_members``, as in ``queues.conf``, and pauses can
be forgotten), hold an action to make Asterisk slow (``hold``), press DND on
a phone (``phone_dnd``), and read everything it received (``received``).

It is independent of the adapter's own AMI code: framing is parsed here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

Fields = list[tuple[str, str]]

GREETING = "Asterisk Call Manager/13.0.0"

# Device state names and the queue member Status numbers Asterisk gives them.
_STATUS = {
    "UNKNOWN": 0,
    "NOT_INUSE": 1,
    "INUSE": 2,
    "BUSY": 3,
    "INVALID": 4,
    "UNAVAILABLE": 5,
    "RINGING": 6,
    "RINGINUSE": 7,
    "ONHOLD": 8,
}
_CHANNEL_STATE = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}


@dataclass
class Member:
    interface: str
    name: str
    state_interface: str
    paused: bool = False
    reason: str = ""
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = field(default_factory=lambda: int(time.time()))
    in_call: bool = False
    # Static members come from queues.conf: AMI cannot remove them.
    dynamic: bool = True

    @property
    def membership(self) -> str:
        return "dynamic" if self.dynamic else "static"


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    state: int = 0
    caller: str = "<unknown>"
    connected: str = "<unknown>"
    priority: int = 1
    application: str = ""
    data: str = ""


@dataclass
class Call:
    """A simulated call, as ``queue_call`` or ``device_call`` made it."""

    linkedid: str
    queue: str
    member: Member | None
    channels: list[Channel]


@dataclass
class Received:
    """One action as the fake received it."""

    session: int
    fields: Fields

    @property
    def action(self) -> str:
        return _get(self.fields, "Action")

    def get(self, key: str) -> str:
        return _get(self.fields, key)


class _Session:
    def __init__(
        self, number: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.number = number
        self.reader = reader
        self.writer = writer
        self.authenticated = False
        self.username = ""
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self.local = f"IPV4/TCP/{sock[0]}/{sock[1]}"
        self.remote = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.id = f"0x{id(self):x}"

    def send(self, fields: Fields) -> None:
        if self.writer.is_closing():
            return
        data = "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        self.writer.write(data.encode())


class FakeAsterisk:
    """See the module docstring.

    Args:
        username, secret: the one ``manager.conf`` user.
        queues: queue names.
        persistent_members: keep dynamic members across ``restart``.
    """

    def __init__(
        self,
        *,
        username: str = "presence",
        secret: str = "presence-secret",
        queues: Iterable[str] = ("support", "sales"),
        persistent_members: bool = True,
    ) -> None:
        self.username = username
        self.secret = secret
        self.persistent_members = persistent_members
        self.queues: dict[str, dict[str, Member]] = {q: {} for q in queues}
        self.astdb: dict[tuple[str, str], str] = {}
        self.device_states: dict[str, str] = {}
        self.presence: dict[str, tuple[str, str, str]] = {}
        self.channels: dict[str, Channel] = {}
        self.received: list[Received] = []
        # Actions named here wait until their event is set (a slow Asterisk).
        self.hold: dict[str, asyncio.Event] = {}
        self.host = "127.0.0.1"
        self.port = 0
        self.started_at = time.time()
        self._server: asyncio.Server | None = None
        self._sessions: list[_Session] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._numbers = itertools.count(1)
        self._uniqueids = itertools.count(0)
        self._local = itertools.count(0)

    # --- lifecycle ----------------------------------------------------------------

    async def start(self) -> FakeAsterisk:
        """Listen (on the same port as before after a ``stop``)."""
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.started_at = time.time()
        return self

    async def stop(self) -> None:
        """Stop listening and drop every connection, as a crash would."""
        if self._server is not None:
            self._server.close()
        for session in self._sessions:
            session.writer.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self._sessions.clear()

    async def restart(self, *, forget_pauses: bool = False) -> None:
        """Stop and start again. Runtime state is lost; AstDB, custom device
        states and presence survive (Asterisk keeps them in AstDB); members
        survive only with ``persistent_members``, and then keep their pauses
        unless ``forget_pauses``."""
        await self.stop()
        self.channels.clear()
        for queue, members in self.queues.items():
            if not self.persistent_members:
                kept = {i: m for i, m in members.items() if not m.dynamic}
                self.queues[queue] = members = kept
            for member in members.values():
                member.in_call = False
                if forget_pauses:
                    member.paused, member.reason = False, ""
        await self.start()

    def actions(self, name: str) -> list[Received]:
        """Every action named ``name`` received, in order."""
        return [r for r in self.received if r.action.lower() == name.lower()]

    def member(self, queue: str, interface: str) -> Member | None:
        return self.queues[queue].get(interface)

    def add_static_member(
        self, queue: str, interface: str, name: str, state_interface: str
    ) -> Member:
        """A member from ``queues.conf``: present from the start, kept by
        every restart, refused by ``QueueRemove``."""
        member = Member(interface, name, state_interface, dynamic=False)
        self.queues[queue][interface] = member
        return member

    # --- the protocol -------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        session = _Session(next(self._numbers), reader, writer)
        self._sessions.append(session)
        try:
            writer.write(f"{GREETING}\r\n".encode())
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                fields = _parse(block.decode())
                if not fields:
                    continue
                self.received.append(Received(session.number, fields))
                keep_open = await self._handle(session, fields)
                await writer.drain()
                if not keep_open:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            # Stopped (a crash): end quietly, as the server task must not
            # finish cancelled.
            pass
        finally:
            self._handlers.discard(task)
            if session in self._sessions:
                self._sessions.remove(session)
            writer.close()

    async def _handle(self, session: _Session, fields: Fields) -> bool:
        action = _get(fields, "Action")
        action_id = _get(fields, "ActionID")
        held = self.hold.get(action.lower())
        if held is not None:
            await held.wait()

        def respond(response: str, message: str, *extra: tuple[str, str]) -> None:
            reply: Fields = [("Response", response)]
            if action_id:
                reply.append(("ActionID", action_id))
            reply.append(("Message", message))
            reply.extend(extra)
            session.send(reply)

        name = action.lower()
        if name == "login":
            return self._login(session, fields, respond)
        if name == "logoff":
            reply: Fields = [("Response", "Goodbye")]
            if action_id:
                reply.append(("ActionID", action_id))
            reply.append(("Message", "Thanks for all the fish."))
            session.send(reply)
            return False
        if not session.authenticated:
            respond("Error", "Permission denied")
            return True
        handler = _ACTIONS.get(name)
        if handler is None:
            respond(
                "Error",
                f"Invalid/unknown command: {action}. Use Action: ListCommands to "
                "show available commands.",
            )
            return True
        handler(self, session, fields, action_id, respond)
        return True

    def _login(self, session: _Session, fields: Fields, respond: _Respond) -> bool:
        now = _event_tv()
        if _get(fields, "Username") != self.username or (
            _get(fields, "Secret") != self.secret
        ):
            for other in self._sessions:
                if other.authenticated:
                    other.send(
                        [
                            ("Event", "InvalidPassword"),
                            ("Privilege", "security,all"),
                            ("EventTV", now),
                            ("Severity", "Error"),
                            ("Service", "AMI"),
                            ("EventVersion", "2"),
                            ("AccountID", _get(fields, "Username")),
                            ("SessionID", session.id),
                            ("LocalAddress", session.local),
                            ("RemoteAddress", session.remote),
                            ("SessionTV", "1970-01-01T00:00:00.000+0000"),
                        ]
                    )
            respond("Error", "Authentication failed")
            return False
        session.authenticated = True
        session.username = self.username
        respond("Success", "Authentication accepted")
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", str(int(time.time() - self.started_at))),
                ("LastReload", str(int(time.time() - self.started_at))),
                ("Status", "Fully Booted"),
            ]
        )
        session.send(
            [
                ("Event", "SuccessfulAuth"),
                ("Privilege", "security,all"),
                ("EventTV", now),
                ("Severity", "Informational"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("AccountID", self.username),
                ("SessionID", session.id),
                ("LocalAddress", session.local),
                ("RemoteAddress", session.remote),
                ("UsingPassword", "0"),
                ("SessionTV", now),
            ]
        )
        return True

    def broadcast(self, fields: Fields) -> None:
        """Send an event to every logged-in session."""
        for session in self._sessions:
            if session.authenticated:
                session.send(fields)

    # --- actions ------------------------------------------------------------------

    def _ping(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        reply: Fields = [("Response", "Success")]
        if aid:
            reply.append(("ActionID", aid))
        reply += [("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]
        s.send(reply)

    def _queue_add(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        queue, interface = _get(f, "Queue"), _get(f, "Interface")
        if not queue or not interface:
            respond("Error", "'Queue' and 'Interface' not specified.")
            return
        members = self.queues.get(queue)
        if members is None:
            respond("Error", "Unable to add interface to queue: No such queue")
            return
        if interface in members:
            respond("Error", "Unable to add interface: Already there")
            return
        member = Member(
            interface=interface,
            name=_get(f, "MemberName") or interface,
            state_interface=_get(f, "StateInterface") or interface,
            paused=_truthy(_get(f, "Paused")),
            reason=_get(f, "Reason") if _truthy(_get(f, "Paused")) else "",
            penalty=int(_get(f, "Penalty") or 0),
        )
        members[interface] = member
        respond("Success", "Added interface to queue")
        self._pause_lamp(queue, member, force=True)
        self.broadcast(_member_event("QueueMemberAdded", queue, member, self))
        self._avail_lamp(queue, force=True)

    def _queue_remove(
        self, s: _Session, f: Fields, aid: str, respond: _Respond
    ) -> None:
        queue, interface = _get(f, "Queue"), _get(f, "Interface")
        members = self.queues.get(queue)
        if members is None:
            respond("Error", "Unable to remove interface from queue: No such queue")
            return
        member = members.get(interface)
        if member is None:
            respond("Error", "Unable to remove interface: Not there")
            return
        if not member.dynamic:
            # app_queue's answer for a static member (the transcript has
            # only dynamic ones).
            respond("Error", "Member not dynamic")
            return
        del members[interface]
        respond("Success", "Removed interface from queue")
        self.broadcast(_member_event("QueueMemberRemoved", queue, member, self))
        self._avail_lamp(queue)

    def _queue_pause(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        interface, paused_text = _get(f, "Interface"), _get(f, "Paused")
        if not interface or not paused_text:
            respond("Error", "Need 'Interface' and 'Paused' parameters.")
            return
        only = _get(f, "Queue")
        paused = _truthy(paused_text)
        reason = _get(f, "Reason") if paused else ""
        targets = [
            (queue, members[interface])
            for queue, members in self.queues.items()
            if interface in members and (not only or queue == only)
        ]
        if not targets:
            respond("Error", "Interface not found")
            return
        verb = "paused" if paused else "unpaused"
        respond("Success", f"Interface {verb} successfully")
        for queue, member in targets:
            member.paused, member.reason = paused, reason
            if paused:
                member.last_pause = int(time.time())
            self._pause_lamp(queue, member)
            self._avail_lamp(queue)
            self.broadcast(_member_event("QueueMemberPause", queue, member, self))

    def _queue_status(
        self, s: _Session, f: Fields, aid: str, respond: _Respond
    ) -> None:
        only, wanted = _get(f, "Queue"), _get(f, "Member")
        reply: Fields = [("Response", "Success")]
        if aid:
            reply.append(("ActionID", aid))
        reply += [("EventList", "start"), ("Message", "Queue status will follow")]
        s.send(reply)
        items = 0
        for queue, members in self.queues.items():
            if only and queue != only:
                continue
            waiting = sum(1 for c in self.channels.values() if c.application == queue)
            s.send(
                [
                    ("Event", "QueueParams"),
                    ("Queue", queue),
                    ("Max", "0"),
                    ("Strategy", "ringall"),
                    ("Calls", str(waiting)),
                    ("Holdtime", "0"),
                    ("TalkTime", "0"),
                    ("Completed", "0"),
                    ("Abandoned", "0"),
                    ("ServiceLevel", "0"),
                    ("ServicelevelPerf", "0.0"),
                    ("ServicelevelPerf2", "0.0"),
                    ("Weight", "0"),
                    *_aid(aid),
                ]
            )
            items += 1
            for member in members.values():
                if wanted and wanted not in (member.interface, member.name):
                    continue
                s.send(
                    [
                        ("Event", "QueueMember"),
                        ("Queue", queue),
                        ("Name", member.name),
                        ("Location", member.interface),
                        ("StateInterface", member.state_interface),
                        ("Membership", member.membership),
                        ("Penalty", str(member.penalty)),
                        ("CallsTaken", str(member.calls_taken)),
                        ("LastCall", str(member.last_call)),
                        ("LastPause", str(member.last_pause)),
                        ("LoginTime", str(member.login_time)),
                        ("InCall", "1" if member.in_call else "0"),
                        ("Status", str(self._member_status(member))),
                        ("Paused", "1" if member.paused else "0"),
                        ("PausedReason", member.reason),
                        ("Wrapuptime", "0"),
                        *_aid(aid),
                    ]
                )
                items += 1
        s.send(
            [
                ("Event", "QueueStatusComplete"),
                *_aid(aid),
                ("EventList", "Complete"),
                ("ListItems", str(items)),
            ]
        )

    def _db_put(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        family, key = _get(f, "Family"), _get(f, "Key")
        if not family or not key:
            respond("Error", "No family specified")
            return
        self.astdb[(family, key)] = _get(f, "Val")
        respond("Success", "Updated database successfully")

    def _db_get(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        family, key = _get(f, "Family"), _get(f, "Key")
        value = self.astdb.get((family, key))
        if value is None:
            respond("Error", "Database entry not found")
            return
        reply: Fields = [("Response", "Success")]
        if aid:
            reply.append(("ActionID", aid))
        reply += [("EventList", "start"), ("Message", "Result will follow")]
        s.send(reply)
        s.send(
            [
                ("Event", "DBGetResponse"),
                ("Family", family),
                ("Key", key),
                ("Val", value),
                *_aid(aid),
            ]
        )
        s.send(
            [
                ("Event", "DBGetComplete"),
                *_aid(aid),
                ("EventList", "Complete"),
                ("ListItems", "1"),
            ]
        )

    def _db_del(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        if self.astdb.pop((_get(f, "Family"), _get(f, "Key")), None) is None:
            respond("Error", "Database entry not deleted")
            return
        respond("Success", "Key deleted successfully")

    def _setvar(self, s: _Session, f: Fields, aid: str, respond: _Respond) -> None:
        variable, value = _get(f, "Variable"), _get(f, "Value")
        if not variable:
            respond("Error", "No variable specified")
            return
        respond("Success", "Variable Set")
        if variable.startswith("DEVICE_STATE(") and variable.endswith(")"):
            self.set_device_state(variable[len("DEVICE_STATE(") : -1], value)
        elif variable.startswith("PRESENCE_STATE(") and variable.endswith(")"):
            self._set_presence(variable[len("PRESENCE_STATE(") : -1], value)

    def _presence_state(
        self, s: _Session, f: Fields, aid: str, respond: _Respond
    ) -> None:
        provider = _get(f, "Provider")
        if not provider:
            respond("Error", "No provider specified")
            return
        state, subtype, message = self.presence.get(provider, ("not_set", "", ""))
        extra: list[tuple[str, str]] = [("State", state)]
        if subtype:
            extra.append(("Subtype", subtype))
        if message:
            extra += [("Message", message), ("PresenceMessage", message)]
        respond("Success", "Presence State", *extra)

    def _core_show_channels(
        self, s: _Session, f: Fields, aid: str, respond: _Respond
    ) -> None:
        reply: Fields = [("Response", "Success")]
        if aid:
            reply.append(("ActionID", aid))
        reply += [("EventList", "start"), ("Message", "Channels will follow")]
        s.send(reply)
        for channel in self.channels.values():
            s.send(
                [
                    ("Event", "CoreShowChannel"),
                    *_aid(aid),
                    *_channel_fields(channel),
                    ("Application", channel.application),
                    ("ApplicationData", channel.data),
                    ("Duration", "00:00:01"),
                    ("BridgeId", ""),
                ]
            )
        s.send(
            [
                ("Event", "CoreShowChannelsComplete"),
                *_aid(aid),
                ("EventList", "Complete"),
                ("ListItems", str(len(self.channels))),
            ]
        )

    # --- state and its events ---------------------------------------------------

    def set_device_state(self, device: str, state: str) -> None:
        """A device changes state (a custom one by Setvar, a phone by use)."""
        self.device_states[device] = state
        self.broadcast(
            [
                ("Event", "DeviceStateChange"),
                ("Privilege", "call,all"),
                ("Device", device),
                ("State", state),
            ]
        )
        for queue, members in self.queues.items():
            for member in members.values():
                if member.state_interface == device:
                    self.broadcast(
                        _member_event("QueueMemberStatus", queue, member, self)
                    )
                    self._avail_lamp(queue)

    def _set_presence(self, provider: str, value: str) -> None:
        parts = [*value.split(","), "", "", ""][:4]
        state, subtype, message, options = parts
        if "e" in options:
            subtype = base64.b64decode(subtype).decode() if subtype else ""
            message = base64.b64decode(message).decode() if message else ""
        self.presence[provider] = (state, subtype, message)
        self.broadcast(
            [
                ("Event", "PresenceStateChange"),
                ("Privilege", "call,all"),
                ("Presentity", provider),
                ("Status", state),
                ("Subtype", subtype),
                ("Message", message),
            ]
        )

    def _member_status(self, member: Member) -> int:
        state = self.device_states.get(member.state_interface, "UNKNOWN")
        return _STATUS.get(state, 0)

    def _pause_lamp(self, queue: str, member: Member, *, force: bool = False) -> None:
        device = f"Queue:{queue}_pause_{member.interface}"
        self._lamp(device, "INUSE" if member.paused else "NOT_INUSE", force)

    def _avail_lamp(self, queue: str, *, force: bool = False) -> None:
        available = any(
            not m.paused and self._member_status(m) in (0, 1)
            for m in self.queues[queue].values()
        )
        self._lamp(f"Queue:{queue}_avail", "NOT_INUSE" if available else "INUSE", force)

    def _lamp(self, device: str, state: str, force: bool) -> None:
        if not force and self.device_states.get(device) == state:
            return
        self.device_states[device] = state
        self.broadcast(
            [
                ("Event", "DeviceStateChange"),
                ("Privilege", "call,all"),
                ("Device", device),
                ("State", state),
            ]
        )

    # --- what a test makes happen ---------------------------------------------

    def phone_dnd(self, extension: str, on: bool) -> None:
        """The agent presses DND on the phone (FreePBX feature code *76)."""
        if on:
            self.astdb[("DND", extension)] = "YES"
        else:
            self.astdb.pop(("DND", extension), None)
        self.set_device_state(f"Custom:DND{extension}", "BUSY" if on else "NOT_INUSE")

    def _new_channel(
        self, name: str, context: str, exten: str, state: int, linkedid: str = ""
    ) -> Channel:
        uniqueid = f"{int(self.started_at)}.{next(self._uniqueids)}"
        channel = Channel(name, uniqueid, linkedid or uniqueid, context, exten, state)
        self.channels[uniqueid] = channel
        self.broadcast(
            [
                ("Event", "Newchannel"),
                ("Privilege", "call,all"),
                *_channel_fields(channel),
            ]
        )
        return channel

    def _new_state(self, channel: Channel, state: int) -> None:
        channel.state = state
        self.broadcast(
            [
                ("Event", "Newstate"),
                ("Privilege", "call,all"),
                *_channel_fields(channel),
            ]
        )

    def _hangup(self, channel: Channel) -> None:
        self.channels.pop(channel.uniqueid, None)
        self.broadcast(
            [
                ("Event", "Hangup"),
                ("Privilege", "call,all"),
                *_channel_fields(channel),
                ("Cause", "16"),
                ("Cause-txt", "Normal Clearing"),
            ]
        )

    def queue_call(self, queue: str) -> Call:
        """A caller joins ``queue`` and the first free, unpaused member answers
        (ringall): the events of the transcript up to ``AgentConnect``."""
        members = [m for m in self.queues[queue].values() if not m.paused]
        if not members:
            raise RuntimeError(f"no unpaused member in {queue}")
        member = members[0]
        n = next(self._local)
        one = self._new_channel(f"Local/s@incoming-{n:08x};1", "incoming", "s", 0)
        two = self._new_channel(
            f"Local/s@incoming-{n:08x};2", "incoming", "s", 4, one.linkedid
        )
        self._new_state(two, 6)
        self._new_state(one, 6)
        # The caller's dialplan reached Queue() at priority 2.
        two.application, two.data, two.priority = queue, f"{queue},,,,120", 2
        self.broadcast(
            [
                ("Event", "QueueCallerJoin"),
                ("Privilege", "agent,all"),
                *_channel_fields(two),
                ("Queue", queue),
                ("Position", "1"),
                ("Count", "1"),
            ]
        )
        base, _, _ = member.interface.rpartition("/")
        local = base if member.interface.startswith("Local/") else member.interface
        context = local.partition("@")[2] or "agents"
        exten = local.removeprefix("Local/").partition("@")[0]
        m = next(self._local)
        agent_one = self._new_channel(
            f"{local}-{m:08x};1", context, exten, 0, one.linkedid
        )
        agent_two = self._new_channel(
            f"{local}-{m:08x};2", context, exten, 4, one.linkedid
        )
        # As the recorded Asterisk: app_queue gives the outbound Local leg the
        # caller's extension ("s") as caller id, and the other leg sees it
        # as connected line; the outbound leg is at "s" by AgentCalled, but
        # DialBegin still shows the dialed extension.
        agent_one.caller, agent_two.connected = "s", "s"
        agent_one.exten = "s"
        self.broadcast(
            [
                ("Event", "AgentCalled"),
                ("Privilege", "agent,all"),
                *_channel_fields(two),
                *_channel_fields(agent_one, "Dest"),
                ("Queue", queue),
                ("Interface", member.interface),
                ("MemberName", member.name),
            ]
        )
        agent_one.exten = exten
        self.broadcast(
            [
                ("Event", "DialBegin"),
                ("Privilege", "call,all"),
                *_channel_fields(two),
                *_channel_fields(agent_one, "Dest"),
                ("DialString", member.interface),
            ]
        )
        agent_one.exten = "s"
        self._new_state(agent_two, 6)
        self._new_state(agent_one, 6)
        self.broadcast(
            [
                ("Event", "DialEnd"),
                ("Privilege", "call,all"),
                *_channel_fields(two),
                *_channel_fields(agent_one, "Dest"),
                ("DialStatus", "ANSWER"),
            ]
        )
        self.broadcast(
            [
                ("Event", "QueueCallerLeave"),
                ("Privilege", "agent,all"),
                *_channel_fields(two),
                ("Queue", queue),
                ("Position", "1"),
                ("Count", "0"),
            ]
        )
        member.in_call = True
        self.broadcast(
            [
                ("Event", "AgentConnect"),
                ("Privilege", "agent,all"),
                *_channel_fields(two),
                *_channel_fields(agent_one, "Dest"),
                ("Queue", queue),
                ("Interface", member.interface),
                ("MemberName", member.name),
                ("HoldTime", "0"),
                ("RingTime", "0"),
            ]
        )
        for channel in (agent_one, two):
            self.broadcast(
                [
                    ("Event", "BridgeEnter"),
                    ("Privilege", "call,all"),
                    ("BridgeUniqueid", f"bridge-{one.linkedid}"),
                    ("BridgeType", "basic"),
                    ("BridgeTechnology", "simple_bridge"),
                    ("BridgeCreator", "<unknown>"),
                    ("BridgeName", "<unknown>"),
                    ("BridgeNumChannels", str(1 + (channel is two))),
                    ("BridgeVideoSourceMode", "none"),
                    *_channel_fields(channel),
                ]
            )
        return Call(one.linkedid, queue, member, [one, two, agent_one, agent_two])

    def hang_up(self, call: Call, talk_seconds: int = 5) -> None:
        """The call ends: the transcript's events from the agent's hang-up to
        ``AgentComplete`` and the caller's ``Hangup``."""
        one, two, *agent = call.channels
        if len(agent) == 2:
            # The member's side ran its dialplan on to priority 4 meanwhile.
            agent[1].priority = 4
        for channel in reversed(agent):
            self._hangup(channel)
        member = call.member
        if member is not None:
            member.in_call = False
            member.calls_taken += 1
            member.last_call = int(time.time())
            self.broadcast(
                [
                    ("Event", "AgentComplete"),
                    ("Privilege", "agent,all"),
                    *_channel_fields(two),
                    ("Queue", call.queue),
                    ("Interface", member.interface),
                    ("MemberName", member.name),
                    ("HoldTime", "0"),
                    ("TalkTime", str(talk_seconds)),
                    ("Reason", "agent"),
                ]
            )
        self._hangup(two)
        self._hangup(one)

    def device_call(self, device: str, exten: str) -> Call:
        """A call rings and is answered on a phone (``PJSIP/1001``)."""
        n = next(self._local)
        channel = self._new_channel(f"{device}-{n:08x}", "from-internal", exten, 0)
        self._new_state(channel, 5)
        self.set_device_state(device, "RINGING")
        self._new_state(channel, 6)
        self.set_device_state(device, "INUSE")
        return Call(channel.linkedid, "", None, [channel])

    def end_device_call(self, call: Call, device: str) -> None:
        for channel in call.channels:
            self._hangup(channel)
        self.set_device_state(device, "NOT_INUSE")


class _Respond:
    def __call__(self, response: str, message: str, *extra: tuple[str, str]) -> None:
        raise NotImplementedError


_ACTIONS = {
    "ping": FakeAsterisk._ping,
    "queueadd": FakeAsterisk._queue_add,
    "queueremove": FakeAsterisk._queue_remove,
    "queuepause": FakeAsterisk._queue_pause,
    "queuestatus": FakeAsterisk._queue_status,
    "dbput": FakeAsterisk._db_put,
    "dbget": FakeAsterisk._db_get,
    "dbdel": FakeAsterisk._db_del,
    "setvar": FakeAsterisk._setvar,
    "presencestate": FakeAsterisk._presence_state,
    "coreshowchannels": FakeAsterisk._core_show_channels,
}


def _member_event(name: str, queue: str, member: Member, pbx: FakeAsterisk) -> Fields:
    return [
        ("Event", name),
        ("Privilege", "agent,all"),
        ("Queue", queue),
        ("MemberName", member.name),
        ("Interface", member.interface),
        ("StateInterface", member.state_interface),
        ("Membership", member.membership),
        ("Penalty", str(member.penalty)),
        ("CallsTaken", str(member.calls_taken)),
        ("LastCall", str(member.last_call)),
        ("LastPause", str(member.last_pause)),
        ("LoginTime", str(member.login_time)),
        ("InCall", "1" if member.in_call else "0"),
        ("Status", str(pbx._member_status(member))),
        ("Paused", "1" if member.paused else "0"),
        ("PausedReason", member.reason),
        ("Ringinuse", "0"),
        ("Wrapuptime", "0"),
    ]


def _channel_fields(channel: Channel, prefix: str = "") -> Fields:
    p = prefix
    return [
        (f"{p}Channel", channel.name),
        (f"{p}ChannelState", str(channel.state)),
        (f"{p}ChannelStateDesc", _CHANNEL_STATE.get(channel.state, "Unknown")),
        (f"{p}CallerIDNum", channel.caller),
        (f"{p}CallerIDName", "<unknown>"),
        (f"{p}ConnectedLineNum", channel.connected),
        (f"{p}ConnectedLineName", "<unknown>"),
        (f"{p}Language", "en"),
        (f"{p}AccountCode", ""),
        (f"{p}Context", channel.context),
        (f"{p}Exten", channel.exten),
        (f"{p}Priority", str(channel.priority)),
        (f"{p}Uniqueid", channel.uniqueid),
        (f"{p}Linkedid", channel.linkedid),
    ]


def _aid(action_id: str) -> Fields:
    return [("ActionID", action_id)] if action_id else []


def _parse(text: str) -> Fields:
    fields: Fields = []
    for line in text.split("\r\n"):
        if not line:
            continue
        key, _, value = line.partition(":")
        fields.append((key.strip(), value.strip()))
    return fields


def _get(fields: Fields, key: str) -> str:
    wanted = key.lower()
    return next((v for k, v in fields if k.lower() == wanted), "")


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")


def _event_tv() -> str:
    now = time.time()
    millis = int((now - int(now)) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}+0000"
