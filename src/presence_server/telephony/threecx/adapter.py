"""The 3CX v20 adapter: XAPI over HTTP, calls from the Call Control websocket.

What it writes, with one ``PATCH /xapi/v1/Users({Id})`` holding absolute
values (only the fields that differ from a read made just before, when there
is one; nothing when none differs):

- ``CurrentProfileName``: the ``Name`` of the user's forwarding profile
  that the status mapping's ``presence_profile`` names (else the configured
  profile of the generic presence value ``available``, ``away`` or
  ``unavailable``), found by ``Name``, ``CustomName`` or type token (see
  ``profiles``). A name that matches none of the user's profiles is a
  ``PermanentRefusal`` (the rest is written): counted as drift, shown as the
  last error, logged once with the names the user has, and not retried
  until the desired state changes or a reconcile finds the profile.
- ``RingMyMobile`` of that profile: the desired state's ``ring_mobile``, as
  a deep update of the ``ForwardingProfiles`` navigation collection in the
  same PATCH.
- ``QueueStatus``: ``LoggedIn`` when the agent is logged into the queues and
  not paused, else ``LoggedOut`` (3CX has no pause: a paused agent must not
  get queue calls). A mapping option ``queue_status`` (``LoggedIn`` or
  ``LoggedOut``) overrides it for one status.

Users are found by extension (``$filter=Number eq '101'``) once; their
``Id`` is cached (and looked up again when the PBX says 404), and so are
their forwarding profiles, read again with every ``read``, after each
reconnect and when a PATCH is refused.

What it reads: ``GET /xapi/v1/Users({Id})`` with its
``ForwardingProfiles`` expanded: ``CurrentProfileName``, ``QueueStatus``
and the current profile's ``RingMyMobile``, reported in the terms of the
agent's desired state: what the desired state would write counts as that
state (profile names resolved as above), anything else as a difference.

What it reports: Call Control websocket events (``/callcontrol/ws``). An
upsert of a participant on an agent's DN is looked up (``GET`` of the
entity); once its ``status`` is ``Connected`` the call (its ``callid``)
starts; its removal ends it. The websocket has no replay, so after each
(re)connect ``GET /callcontrol`` lists the calls in progress
(``calls_snapshot``), and ``connected`` makes the worker reconcile every
agent.

External calls are not applied, and ``honours`` leaves them out: on 3CX
they are the external destinations of each profile's ``AvailableRoute`` and
``AwayRoute`` (busy, no answer, not registered), which every site sets up
for itself; a status has no destination to put there.

Known limitation: profile changes made on the phone (the profile, its
ring my mobile) are not seen as events (the websocket carries calls only):
the next reconcile writes the desired state back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import (
    AdapterError,
    AdapterUnavailable,
    InboundSink,
    PermanentRefusal,
)
from presence_server.telephony.desired import (
    AgentLine,
    DesiredState,
    Observed,
    TelephonyState,
)
from presence_server.telephony.threecx.client import (
    XAPI,
    CredentialsRefused,
    ThreeCxClient,
    odata_literal,
)
from presence_server.telephony.threecx.config import ThreeCxConfig
from presence_server.telephony.threecx.profiles import (
    Profile,
    labels,
    profiles_from_json,
    resolve,
    same,
)

logger = logging.getLogger(__name__)


class _NoDebug(logging.LoggerAdapter[logging.Logger]):
    """The websocket's logger without DEBUG: at DEBUG, ``websockets`` logs
    every handshake header, the bearer token included."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_socket_logger = _NoDebug(logging.getLogger(__name__ + ".websocket"))

LOGGED_IN = "LoggedIn"
LOGGED_OUT = "LoggedOut"
QUEUE_STATUS_OPTION = "queue_status"
# A participant's status once the call is answered.
CONNECTED = "Connected"
UPSERT, REMOVAL = 0, 1
_PARTICIPANT = re.compile(r"/callcontrol/(?P<dn>[^/]+)/participants/(?P<id>[^/]+)")
_USER_READ = {
    "$select": "Id,Number,CurrentProfileName,QueueStatus",
    "$expand": "ForwardingProfiles($select=Id,Name,CustomName,RingMyMobile)",
}


@dataclass(frozen=True, slots=True)
class _Leg:
    agent_id: str
    call_id: str


def queue_status(desired: DesiredState) -> str:
    """The ``QueueStatus`` the desired state asks for."""
    wanted = desired.options.get(QUEUE_STATUS_OPTION, "")
    if wanted in (LOGGED_IN, LOGGED_OUT):
        return wanted
    state = desired.state
    return LOGGED_IN if state.logged_in and not state.paused else LOGGED_OUT


class ThreeCxAdapter:
    """A ``TelephonyAdapter`` for 3CX v20."""

    def __init__(self, name: str, config: ThreeCxConfig, clock: Clock) -> None:
        self._name = name
        self.config = config
        self.clock = clock
        self.client = ThreeCxClient(config, clock)
        self._sink: InboundSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._user_ids: dict[str, int] = {}
        # Forwarding profiles by extension, from the last read of the user.
        self._profiles: dict[str, tuple[Profile, ...]] = {}
        # Connected participants of agents, by (dn, participant id).
        self._legs: dict[tuple[str, str], _Leg] = {}

    def __repr__(self) -> str:
        return f"ThreeCxAdapter({self._name!r}, {self.config.url})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def honours(self) -> frozenset[str]:
        # Not external_calls: see the module docstring. ring_mobile only when
        # the configuration asks for it (RING_MOBILE).
        honoured = {"logged_in", "paused", "presence"}
        if self.config.ring_mobile:
            honoured.add("ring_mobile")
        return frozenset(honoured)

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def start(self, sink: InboundSink) -> None:
        self._sink = sink
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"3cx-{self._name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._connected = False
        await self.client.close()

    # --- reading and writing ------------------------------------------------------

    async def read(self, line: AgentLine) -> Observed:
        self._require_connection()
        user = await self._user(line.extension)
        profiles = self._profiles[line.extension]
        desired = self._sink.desired(line.agent_id) if self._sink else None
        current = str(user.get("CurrentProfileName") or "")
        queue = str(user.get("QueueStatus") or "")
        logged_in, paused = self._queue_seen(queue, desired)
        active = next((p for p in profiles if same(current, p)), None)
        return Observed(
            logged_in=logged_in,
            paused=paused,
            presence=self._presence_seen(current, desired, profiles),
            ring_mobile=(
                active.ring_my_mobile
                if active is not None and self.config.ring_mobile
                else None
            ),
        )

    async def write(self, desired: DesiredState, observed: Observed | None) -> None:
        self._require_connection()
        want, seen = desired.state, observed or Observed()
        extension = desired.line.extension
        profiles = self._profiles.get(extension)
        if profiles is None:
            await self._user(extension)
            profiles = self._profiles[extension]
        wanted = self.profile(want)
        selected = resolve(wanted, profiles)

        body: dict[str, Any] = {}
        refusal: PermanentRefusal | None = None
        if selected is None:
            refusal = PermanentRefusal(
                f"3CX user {extension} has no forwarding profile {wanted!r} "
                f"(it has {labels(profiles)})"
            )
        elif seen.presence != want.presence:
            body["CurrentProfileName"] = selected.name
        if (seen.logged_in, seen.paused) != (want.logged_in, want.paused):
            body["QueueStatus"] = queue_status(desired)
        if (
            self.config.ring_mobile
            and selected is not None
            and selected.ring_my_mobile != want.ring_mobile
        ):
            # An OData deep update of the navigation collection: only the
            # profile named by Id changes. 3CX's own admin console saves a
            # user the same way, whole, with its ForwardingProfiles.
            # Known limitation: this form was taken from the published API
            # description and the console's behaviour, not tried on a live
            # PBX; a PBX refusing it answers 400, retried with backoff and
            # shown as the last error.
            body["ForwardingProfiles"] = [
                {"Id": selected.id, "RingMyMobile": want.ring_mobile}
            ]

        if body:
            await self._patch(extension, body)
        if refusal is not None:
            raise refusal

    def profile(self, state: TelephonyState) -> str:
        """The profile a desired state names, as configured (a ``Name``,
        ``CustomName`` or type token; see ``profiles.resolve``)."""
        return self.config.profiles.get(state.presence, state.presence)

    async def _patch(self, extension: str, body: Mapping[str, Any]) -> None:
        user_id = await self._user_id(extension)
        try:
            response = await self.client.request(
                "PATCH", f"{XAPI}/Users({user_id})", json=body
            )
        except AdapterUnavailable:
            raise
        except AdapterError:
            # Refused: perhaps the profiles changed; the next read or write
            # reads them again.
            self._profiles.pop(extension, None)
            raise
        if response.status_code == 404:
            self._forget(extension)
            raise AdapterError(f"3CX user {user_id} ({extension}) is gone")
        logger.debug("3CX user %s (%s) set to %s", user_id, extension, body)

    async def _user(self, extension: str) -> Mapping[str, Any]:
        """The user with its forwarding profiles, which are cached."""
        user_id = await self._user_id(extension)
        user = await self.client.get_json(f"{XAPI}/Users({user_id})", _USER_READ)
        if user is None:
            self._forget(extension)
            raise AdapterError(f"3CX user {user_id} ({extension}) is gone")
        self._profiles[extension] = profiles_from_json(
            user.get("ForwardingProfiles") or []
        )
        return dict(user)

    def _forget(self, extension: str) -> None:
        self._user_ids.pop(extension, None)
        self._profiles.pop(extension, None)

    def _presence_seen(
        self, current: str, desired: DesiredState | None, profiles: Sequence[Profile]
    ) -> str:
        """``current`` in presence terms: the desired presence when it is the
        profile the desired state names, a generic value when it is the
        profile configured for one, else the name as read."""
        if desired is not None:
            selected = resolve(self.profile(desired.state), profiles)
            if selected is not None and same(current, selected):
                return desired.state.presence
        for value, name in self.config.profiles.items():
            configured = resolve(name, profiles)
            if configured is not None and same(current, configured):
                return value
        return current

    def _queue_seen(
        self, queue: str, desired: DesiredState | None
    ) -> tuple[bool, bool]:
        if desired is not None and queue == queue_status(desired):
            return desired.state.logged_in, desired.state.paused
        # Not what the desired state writes: a state that differs from it.
        return queue == LOGGED_IN, False

    async def _user_id(self, extension: str) -> int:
        cached = self._user_ids.get(extension)
        if cached is not None:
            return cached
        found = await self.client.get_json(
            f"{XAPI}/Users",
            {
                "$filter": f"Number eq {odata_literal(extension)}",
                "$select": "Id,Number",
            },
        )
        users = (found or {}).get("value") or []
        if not users:
            raise AdapterError(f"3CX has no user with extension {extension}")
        user_id = int(users[0]["Id"])
        self._user_ids[extension] = user_id
        return user_id

    def _require_connection(self) -> None:
        if not self._connected:
            raise AdapterUnavailable(f"{self._name}: not connected to 3CX")

    # --- the call control websocket ---------------------------------------------

    async def _run(self) -> None:
        config = self.config
        delay = config.reconnect_initial_seconds
        while True:
            try:
                reason = await self._session()
            except CredentialsRefused as error:
                reason = str(error)
                delay = config.reconnect_max_seconds
            except (AdapterError, OSError, TimeoutError, WebSocketException) as error:
                reason = _reason(error)
            except Exception as error:
                # A PBX answer we did not expect: keep reconnecting anyway.
                logger.exception("3CX call control session at %s failed", config.url)
                reason = _reason(error)
            else:
                delay = config.reconnect_initial_seconds
            self._connected = False
            if self._sink is not None:
                self._sink.disconnected(reason)
            wait = delay + random.uniform(0, config.reconnect_initial_seconds)
            logger.warning(
                "3CX at %s unreachable (%s); retrying in %.1f s",
                config.url,
                reason,
                wait,
            )
            await self.clock.sleep_until(self.clock.now() + timedelta(seconds=wait))
            delay = min(delay * 2, config.reconnect_max_seconds)

    async def _session(self) -> str:
        """One websocket, from connect to loss; returns why it ended."""
        token = await self.client.token()
        url = re.sub(r"^http", "ws", self.config.url) + "/callcontrol/ws"
        try:
            async with asyncio.timeout(self.config.connect_timeout_seconds):
                socket = await connect(
                    url,
                    additional_headers={"Authorization": f"Bearer {token}"},
                    open_timeout=None,
                    ping_interval=self.config.ping_seconds,
                    ping_timeout=self.config.ping_seconds,
                    close_timeout=1,
                    logger=_socket_logger,
                )
        except InvalidStatus as error:
            if error.response.status_code == 401:
                self.client.forget_token(token)
            raise
        try:
            # Events from now on are buffered, so none is lost between the
            # snapshot and the first message read.
            async with asyncio.timeout(self.config.connect_timeout_seconds):
                await self._snapshot()
            # Profiles may have changed meanwhile: read again when needed.
            self._profiles.clear()
            self._connected = True
            logger.info("connected to 3CX at %s", self.config.url)
            if self._sink is not None:
                self._sink.connected()
            await self._listen(socket)
        finally:
            await socket.close()
        return "3CX closed the call control websocket"

    async def _snapshot(self) -> None:
        sink = self._sink
        dns = await self.client.get_json("/callcontrol")
        self._legs.clear()
        live: dict[str, set[str]] = {}
        for dn in dns or []:
            number = str(dn.get("dn", ""))
            agent = sink.agent_for_extension(number) if sink else None
            if agent is None:
                continue
            for participant in dn.get("participants") or []:
                if participant.get("status") == CONNECTED:
                    leg = _Leg(agent, str(participant.get("callid")))
                    self._legs[(number, str(participant.get("id")))] = leg
                    live.setdefault(agent, set()).add(leg.call_id)
        if sink is not None:
            sink.calls_snapshot(live)

    async def _listen(self, socket: ClientConnection) -> None:
        async for message in socket:
            try:
                await self._on_message(json.loads(message))
            except AdapterUnavailable:
                raise
            except (AdapterError, ValueError, TypeError, AttributeError) as error:
                logger.warning("3CX call control event not understood: %s", error)

    async def _on_message(self, message: Mapping[str, Any]) -> None:
        event = message.get("event") or {}
        entity = str(event.get("entity") or "")
        match = _PARTICIPANT.fullmatch(entity)
        sink = self._sink
        if match is None or sink is None:
            return
        dn, key = match["dn"], (match["dn"], match["id"])
        agent = sink.agent_for_extension(dn)
        if agent is None:
            return
        kind = event.get("event_type")
        logger.debug("3CX event %s on %s", kind, entity)

        if kind == UPSERT and key not in self._legs:
            participant = await self.client.get_json(entity)
            if participant is not None and participant.get("status") == CONNECTED:
                leg = _Leg(agent, str(participant.get("callid")))
                self._legs[key] = leg
                sink.call_started(agent, leg.call_id)
        elif kind == REMOVAL:
            ended = self._legs.pop(key, None)
            if ended is not None and ended not in self._legs.values():
                sink.call_ended(ended.agent_id, ended.call_id)


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, InvalidStatus):
        return f"websocket refused with HTTP {error.response.status_code}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
