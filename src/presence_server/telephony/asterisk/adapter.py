"""The FreePBX/Asterisk adapter, over AMI.

What it writes (always absolute values; only what differs from a read made
just before, when there is one):

- queue login: ``QueueAdd`` / ``QueueRemove`` of the member interface in each
  of the agent's queues (queues the member is in but the agent does not
  list are left too). "Already there" and "Not there" count as success:
  that is the wanted state (Asterisk with ``persistentmembers`` keeps
  members across restarts). "Member not dynamic" (a static member, from
  ``queues.conf`` or FreePBX's static agents) and "No such queue" are
  permanent refusals: the rest of the desired state is written, then the
  refusal is reported once and that state is not retried.
- pause: one ``QueuePause`` without ``Queue`` (every queue of the member)
  with ``Paused: true`` and ``Reason``, or ``Paused: false``. A member added
  while it should be paused is added paused.
- do-not-disturb, the FreePBX way: AstDB ``DND/<ext>`` = ``YES`` (``DBPut``)
  or deleted (``DBDel``), and the lamp ``DEVICE_STATE(Custom:DND<ext>)`` =
  ``BUSY`` / ``NOT_INUSE``, as FreePBX's own feature codes do.
- presence: ``PRESENCE_STATE(CustomPresence:<ext>)`` = ``<state>,,<message>``
  (the status name is the message; one with a comma is sent base64-encoded
  with the ``e`` option, which Asterisk decodes when it is read).
- ring mobile (only with ``FOLLOWME``): FreePBX keeps follow-me per user in
  AstDB ``AMPUSER/<ext>/followme/ddial``: ``DIRECT`` sends calls to the
  follow-me list (on), ``EXTENSION`` rings the extension only (off); the
  lamp ``Custom:FOLLOWME<ext>`` follows (``INUSE`` / ``NOT_INUSE``). With
  ``FOLLOWME_LIST`` the list (``followme/grplist``) is written too.
- external calls (only with ``EXTERNAL_CALLS_KEY``): ``YES``/``NO`` in that
  AstDB key, for the site's dialplan to honour.

What it reads: ``QueueStatus`` for the member, ``DBGet`` of the DND (and
follow-me, external-calls) keys and ``PresenceState``.

What it reports: ``AgentConnect`` / ``AgentComplete`` (queue calls, keyed by
the member interface) and ``Newchannel`` / ``Newstate`` / ``Hangup`` of the
agent's device channels (other calls) become calls, by ``Linkedid``; after
each (re)connect ``CoreShowChannels`` tells which calls are in progress.
``QueueMemberPause`` / ``QueueMemberAdded`` / ``QueueMemberRemoved``,
``DeviceStateChange`` of the DND lamp and ``PresenceStateChange`` are reported
as observations (our own echo or a change on the phone). Every (re)connect
and every ``FullyBooted`` (Asterisk restarted under us) triggers a
reconciliation of all agents.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import (
    AdapterError,
    AdapterUnavailable,
    InboundSink,
    PermanentRefusal,
)
from presence_server.telephony.asterisk.ami import (
    AmiClient,
    AmiConnectionError,
    AmiError,
    Message,
    Reply,
)
from presence_server.telephony.asterisk.config import AsteriskConfig
from presence_server.telephony.desired import (
    AgentLine,
    DesiredState,
    Observed,
    Seat,
)

logger = logging.getLogger(__name__)

# Asterisk channel state "Up": the call is answered.
UP = "6"
# Device states that mean the DND lamp is off.
_LAMP_OFF = frozenset({"NOT_INUSE", "UNKNOWN", "INVALID", "UNAVAILABLE"})
_EXTENSION = r"(?P<ext>[0-9*#]+)"

# Answers that mean "already as wanted".
ALREADY_MEMBER = "already there"
NOT_MEMBER = "not there"
# Answers that no retry changes. The reference transcript has only dynamic
# members; these are app_queue's texts for QueueRemove of a static member
# ("Member not dynamic") and for a queue that does not exist ("...: No such
# queue", from QueueAdd and QueueRemove).
NOT_DYNAMIC = "member not dynamic"
NO_SUCH_QUEUE = "no such queue"
REFUSED_FOR_GOOD = (NOT_DYNAMIC, NO_SUCH_QUEUE)
NO_DB_ENTRY = ("not found", "not deleted")


def fill(template: str, extension: str, mobile: str = "") -> str:
    """A configured template with the agent's values."""
    digits = "".join(c for c in mobile if c.isdigit())
    return (
        template.replace("{ext}", extension)
        .replace("{mobile_digits}", digits)
        .replace("{mobile}", mobile)
    )


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex matching what ``template`` makes, capturing the extension."""
    before, _, after = template.partition("{ext}")
    return re.compile(re.escape(before) + _EXTENSION + re.escape(after))


def channel_pattern(template: str) -> re.Pattern[str]:
    """A regex matching channel names of an interface template.

    ``PJSIP/{ext}`` makes channels ``PJSIP/1001-0000002a``; a Local
    interface ``Local/{ext}@from-queue/n`` (options after the last '/')
    makes ``Local/1001@from-queue-00000001;1`` and ``;2``.
    """
    if template.startswith("Local/"):
        base = template.rsplit("/", 1)[0] if template.count("/") > 1 else template
        return re.compile(template_pattern(base).pattern + r"-[0-9a-f]+;[12]")
    return re.compile(template_pattern(template).pattern + r"-[0-9a-f]+")


@dataclass(frozen=True, slots=True)
class _Leg:
    agent_id: str
    call_id: str


class AsteriskAdapter:
    """A ``TelephonyAdapter`` for FreePBX/Asterisk over AMI."""

    def __init__(self, name: str, config: AsteriskConfig, clock: Clock) -> None:
        self._name = name
        self.config = config
        self.clock = clock
        self._sink: InboundSink | None = None
        self._ami: AmiClient | None = None
        self._member = template_pattern(config.member_interface)
        self._channels = (
            channel_pattern(config.device),
            channel_pattern(config.member_interface),
        )
        self._device = channel_pattern(config.device)
        self._dnd_lamp = template_pattern(config.dnd_device_state)
        self._presence = template_pattern(config.presence_provider)
        # Answered channels of agents, by Uniqueid.
        self._legs: dict[str, _Leg] = {}
        honours = {"logged_in", "queues", "paused", "pause_reason"}
        honours |= {"do_not_disturb", "presence", "presence_message"}
        if config.followme:
            honours.add("ring_mobile")
        if config.external_calls_key:
            honours.add("external_calls")
        self._honours = frozenset(honours)

    def __repr__(self) -> str:
        return f"AsteriskAdapter({self._name!r}, {self.config.host}:{self.config.port})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def honours(self) -> frozenset[str]:
        return self._honours

    @property
    def is_connected(self) -> bool:
        return self._ami is not None and self._ami.connected

    async def start(self, sink: InboundSink) -> None:
        config = self.config
        self._sink = sink
        self._ami = AmiClient(
            config.host,
            config.port,
            config.username,
            config.secret,
            self.clock,
            on_event=self._on_event,
            on_connected=self._on_connected,
            on_disconnected=sink.disconnected,
            connect_timeout=config.connect_timeout_seconds,
            backoff=(config.reconnect_initial_seconds, config.reconnect_max_seconds),
            ping=config.ping_seconds,
        )
        await self._ami.start()

    async def stop(self) -> None:
        if self._ami is not None:
            await self._ami.stop()

    # --- reading ------------------------------------------------------------------

    async def read(self, line: AgentLine) -> Observed:
        ext = line.extension
        interface = fill(self.config.member_interface, ext)
        status = await self._action("QueueStatus", [("Member", interface)])
        queues: dict[str, Seat | None] = {}
        for event in status.events:
            if event.event == "QueueMember" and event.get("Location") == interface:
                queues[event.get("Queue")] = _seat(event)
        dnd = await self._db_get(self.config.dnd_family, ext)
        presence = await self._action(
            "PresenceState", [("Provider", fill(self.config.presence_provider, ext))]
        )
        ring_mobile = None
        if self.config.followme:
            ddial = await self._db_get("AMPUSER", f"{ext}/followme/ddial")
            ring_mobile = ddial == "DIRECT"
        external = None
        if self.config.external_calls_key:
            family, key = self._external_key(ext)
            external = await self._db_get(family, key) == "YES"
        answer = presence.response
        messages = answer.all("Message")
        return Observed(
            queues=queues,
            queues_complete=True,
            do_not_disturb=dnd == "YES",
            presence=answer.get("State"),
            # The first Message is the response's own ("Presence State").
            presence_message=answer.get(
                "PresenceMessage", messages[1] if len(messages) > 1 else ""
            ),
            ring_mobile=ring_mobile,
            external_calls=external,
        )

    # --- writing ------------------------------------------------------------------

    async def write(self, desired: DesiredState, observed: Observed | None) -> None:
        line, want = desired.line, desired.state
        ext = line.extension
        interface = fill(self.config.member_interface, ext)
        seen = observed or Observed()
        seats = seen.queues if seen.queues_complete else None
        wanted = desired.queues

        if seats is None:
            # Nothing known: set every queue the agent lists.
            removed, added = set(line.queues) - wanted, set(wanted)
        else:
            member_of = {q for q, seat in seats.items() if seat is not None}
            removed, added = member_of - wanted, set(wanted - member_of)
        refusals: list[str] = []
        for queue in sorted(removed):
            try:
                await self._action(
                    "QueueRemove",
                    [("Queue", queue), ("Interface", interface)],
                    tolerate=(NOT_MEMBER,),
                )
            except PermanentRefusal as refusal:
                refusals.append(str(refusal))
        for queue in sorted(added):
            try:
                await self._action(
                    "QueueAdd",
                    [
                        ("Queue", queue),
                        ("Interface", interface),
                        ("MemberName", line.display_name or ext),
                        ("StateInterface", fill(self.config.state_interface, ext)),
                        ("Penalty", str(self.config.member_penalty)),
                        ("Paused", _flag(want.paused)),
                    ],
                    tolerate=(ALREADY_MEMBER,),
                )
            except PermanentRefusal as refusal:
                refusals.append(str(refusal))

        if wanted and (
            seats is None
            or added
            or _pause_differs(
                {q: seat for q, seat in seats.items() if q in wanted},
                want.paused,
                want.pause_reason,
            )
        ):
            fields = [("Interface", interface), ("Paused", _flag(want.paused))]
            if want.paused:
                fields.append(("Reason", want.pause_reason))
            await self._action("QueuePause", fields)

        if seen.do_not_disturb is None or seen.do_not_disturb != want.do_not_disturb:
            await self._set_dnd(ext, want.do_not_disturb)

        if (seen.presence, seen.presence_message) != (
            want.presence,
            want.presence_message,
        ):
            await self._setvar(
                f"PRESENCE_STATE({fill(self.config.presence_provider, ext)})",
                presence_value(want.presence, want.presence_message),
            )

        if self.config.followme and seen.ring_mobile != want.ring_mobile:
            await self._set_followme(line, want.ring_mobile)

        external = self.config.external_calls_key
        if external and seen.external_calls != want.external_calls:
            family, key = self._external_key(ext)
            await self._action(
                "DBPut",
                [("Family", family), ("Key", key), ("Val", _yes(want.external_calls))],
            )

        if refusals:
            raise PermanentRefusal("; ".join(refusals))

    async def _set_dnd(self, ext: str, on: bool) -> None:
        family = self.config.dnd_family
        if on:
            await self._action(
                "DBPut", [("Family", family), ("Key", ext), ("Val", "YES")]
            )
        else:
            await self._action(
                "DBDel", [("Family", family), ("Key", ext)], tolerate=NO_DB_ENTRY
            )
        lamp = fill(self.config.dnd_device_state, ext)
        await self._setvar(f"DEVICE_STATE({lamp})", "BUSY" if on else "NOT_INUSE")

    async def _set_followme(self, line: AgentLine, on: bool) -> None:
        ext = line.extension
        if on and self.config.followme_list and line.mobile_number:
            grplist = fill(self.config.followme_list, ext, line.mobile_number)
            key = f"{ext}/followme/grplist"
            await self._action(
                "DBPut", [("Family", "AMPUSER"), ("Key", key), ("Val", grplist)]
            )
        await self._action(
            "DBPut",
            [
                ("Family", "AMPUSER"),
                ("Key", f"{ext}/followme/ddial"),
                ("Val", "DIRECT" if on else "EXTENSION"),
            ],
        )
        await self._setvar(
            f"DEVICE_STATE(Custom:FOLLOWME{ext})", "INUSE" if on else "NOT_INUSE"
        )

    def _external_key(self, ext: str) -> tuple[str, str]:
        family, _, key = fill(self.config.external_calls_key, ext).partition("/")
        return family, key

    async def _setvar(self, variable: str, value: str) -> None:
        await self._action("Setvar", [("Variable", variable), ("Value", value)])

    async def _db_get(self, family: str, key: str) -> str | None:
        try:
            reply = await self._action("DBGet", [("Family", family), ("Key", key)])
        except _Missing:
            return None
        for event in reply.events:
            if event.event == "DBGetResponse":
                return event.get("Val")
        return None

    async def _action(
        self,
        name: str,
        fields: list[tuple[str, str]],
        *,
        tolerate: Iterable[str] = (),
    ) -> Reply:
        ami = self._ami
        if ami is None or not ami.connected:
            raise AdapterUnavailable(f"{self._name}: not connected to Asterisk")
        try:
            return await ami.action(
                name, fields, seconds=self.config.action_timeout_seconds
            )
        except AmiConnectionError as error:
            raise AdapterUnavailable(f"{self._name}: {error}") from error
        except AmiError as error:
            text = error.message.lower()
            if any(t in text for t in tolerate):
                return Reply(error.response)
            if name == "DBGet" and any(t in text for t in NO_DB_ENTRY):
                raise _Missing() from error
            if name in ("QueueAdd", "QueueRemove") and any(
                t in text for t in REFUSED_FOR_GOOD
            ):
                queue = next((v for k, v in fields if k == "Queue"), "")
                raise PermanentRefusal(
                    f"{self._name}: {name} {queue}: {error.message}"
                ) from error
            raise AdapterError(f"{self._name}: {error}") from error

    # --- events -------------------------------------------------------------------

    async def _on_connected(self) -> None:
        sink, ami = self._sink, self._ami
        if sink is None or ami is None:
            return
        self._legs.clear()
        live: dict[str, set[str]] = {}
        try:
            reply = await ami.action(
                "CoreShowChannels", seconds=self.config.action_timeout_seconds
            )
        except (AmiError, AmiConnectionError, TimeoutError) as error:
            logger.warning(
                "%s: cannot list the calls in progress: %s", self._name, error
            )
        else:
            for event in reply.events:
                if event.event != "CoreShowChannel" or event.get("ChannelState") != UP:
                    continue
                agent = self._agent_of_channel(event.get("Channel"))
                if agent is not None:
                    call = event.get("Linkedid") or event.get("Uniqueid")
                    self._legs[event.get("Uniqueid")] = _Leg(agent, call)
                    live.setdefault(agent, set()).add(call)
            sink.calls_snapshot(live)
        sink.connected()

    def _on_event(self, event: Message) -> None:
        sink = self._sink
        if sink is None:
            return
        handler = _HANDLERS.get(event.event)
        if handler is not None:
            handler(self, sink, event)

    def _agent_of(self, pattern: re.Pattern[str], value: str) -> str | None:
        match = pattern.fullmatch(value)
        if match is None or self._sink is None:
            return None
        return self._sink.agent_for_extension(match["ext"])

    def _agent_of_channel(self, channel: str) -> str | None:
        for pattern in self._channels:
            agent = self._agent_of(pattern, channel)
            if agent is not None:
                return agent
        return None

    def _fully_booted(self, sink: InboundSink, event: Message) -> None:
        sink.reconcile()

    def _member_changed(self, sink: InboundSink, event: Message) -> None:
        agent = self._agent_of(self._member, event.get("Interface"))
        if agent is None:
            return
        seat = None if event.event == "QueueMemberRemoved" else _seat(event)
        sink.observed(agent, Observed(queues={event.get("Queue"): seat}))

    def _device_state(self, sink: InboundSink, event: Message) -> None:
        agent = self._agent_of(self._dnd_lamp, event.get("Device"))
        if agent is not None:
            on = event.get("State").upper() not in _LAMP_OFF
            sink.observed(agent, Observed(do_not_disturb=on))

    def _presence_changed(self, sink: InboundSink, event: Message) -> None:
        agent = self._agent_of(self._presence, event.get("Presentity"))
        if agent is not None:
            observed = Observed(
                presence=event.get("Status"), presence_message=event.get("Message")
            )
            sink.observed(agent, observed)

    def _agent_connect(self, sink: InboundSink, event: Message) -> None:
        agent = self._agent_of(self._member, event.get("Interface"))
        if agent is not None:
            sink.call_started(agent, event.get("Linkedid") or event.get("Uniqueid"))

    def _agent_complete(self, sink: InboundSink, event: Message) -> None:
        agent = self._agent_of(self._member, event.get("Interface"))
        if agent is not None:
            sink.call_ended(agent, event.get("Linkedid") or event.get("Uniqueid"))

    def _channel_state(self, sink: InboundSink, event: Message) -> None:
        if event.get("ChannelState") != UP or event.get("Uniqueid") in self._legs:
            return
        agent = self._agent_of(self._device, event.get("Channel"))
        if agent is not None:
            call = event.get("Linkedid") or event.get("Uniqueid")
            self._legs[event.get("Uniqueid")] = _Leg(agent, call)
            sink.call_started(agent, call)

    def _hangup(self, sink: InboundSink, event: Message) -> None:
        leg = self._legs.pop(event.get("Uniqueid"), None)
        if leg is not None and leg not in self._legs.values():
            sink.call_ended(leg.agent_id, leg.call_id)


_HANDLERS = {
    "FullyBooted": AsteriskAdapter._fully_booted,
    "QueueMemberPause": AsteriskAdapter._member_changed,
    "QueueMemberAdded": AsteriskAdapter._member_changed,
    "QueueMemberRemoved": AsteriskAdapter._member_changed,
    "DeviceStateChange": AsteriskAdapter._device_state,
    "PresenceStateChange": AsteriskAdapter._presence_changed,
    "AgentConnect": AsteriskAdapter._agent_connect,
    "AgentComplete": AsteriskAdapter._agent_complete,
    "Newchannel": AsteriskAdapter._channel_state,
    "Newstate": AsteriskAdapter._channel_state,
    "Hangup": AsteriskAdapter._hangup,
}


class _Missing(Exception):
    """An AstDB key that does not exist."""


def _seat(event: Message) -> Seat:
    paused = event.get("Paused") == "1"
    return Seat(paused, event.get("PausedReason") if paused else "")


def presence_value(state: str, message: str) -> str:
    """The value of ``PRESENCE_STATE()``: ``state,subtype,message[,e]``."""
    if "," in message:
        encoded = base64.b64encode(message.encode()).decode()
        return f"{state},,{encoded},e"
    return f"{state},,{message}"


def _pause_differs(seats: Mapping[str, Seat | None], paused: bool, reason: str) -> bool:
    for seat in seats.values():
        if seat is None:
            continue
        if seat.paused != paused or (paused and seat.reason != reason):
            return True
    return False


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _yes(value: bool) -> str:
    return "YES" if value else "NO"
