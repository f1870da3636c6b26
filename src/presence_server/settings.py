"""Settings of the server process, from ``PRESENCE_*`` environment variables.

Each setting also has a command-line flag (``--listen-address`` for
``PRESENCE_LISTEN_ADDRESS``); a flag given on the command line wins over the
environment. Values are checked when ``Settings`` is built, so a bad value
stops the process before anything starts.

| variable                  | default                          |
| ------------------------- | -------------------------------- |
| PRESENCE_LISTEN_ADDRESS   | ``127.0.0.1:50051``              |
| PRESENCE_DATA_DIR         | ``./data`` (from the working dir) |
| PRESENCE_DATABASE_URL     | SQLite file ``presence.db`` in the data dir |
| PRESENCE_LOG_LEVEL        | ``INFO``                         |
| PRESENCE_LOG_FORMAT       | ``text`` (or ``json``)           |
| PRESENCE_METRICS_ADDRESS  | ``127.0.0.1:9464``; empty disables metrics |
| PRESENCE_GRACE_SECONDS    | ``5``: how long in-flight calls get at shutdown |
| PRESENCE_DISCONNECT_GRACE_SECONDS | ``30``: lost connection to Offline |
| PRESENCE_ACTIVITY_CEILING_MINUTES | ``240``: longest an activity stays open |
| PRESENCE_MAX_SHIFT_HOURS  | ``16``: forgotten shifts close; 0 = never |
| PRESENCE_WRAP_UP_CALL_SECONDS (and _CHAT_, _TASK_, _INTERACTION_) | ``0`` |
| PRESENCE_CLOCK            | ``system``; ``simulated`` for replays (below) |
| PRESENCE_CLOCK_START      | its first instant, ISO 8601 with an offset |
| PRESENCE_STREAM_HEARTBEAT_SECONDS | ``15``: heartbeat on a quiet presence stream |
| PRESENCE_STREAM_MAX_PENDING | ``10000``: events waiting for a slow subscriber |
| PRESENCE_EVENT_RETENTION  | ``100000``: newest revisions kept for resume |
| PRESENCE_FEED_POLL_MS     | ``500``: reads of other instances' events |
| PRESENCE_FANOUT_MESSAGES_PER_SECOND | ``10000``: fan-out budget under load |
| PRESENCE_TELEPHONY_ADAPTERS | empty: telephony adapters to enable, like ``asterisk`` |
| PRESENCE_TELEPHONY_CALL_TIMEOUT_SECONDS | ``10``: one PBX read or write |
| PRESENCE_TELEPHONY_RETRY_INITIAL_SECONDS | ``1``: first wait before a retry |
| PRESENCE_TELEPHONY_RETRY_MAX_SECONDS | ``60``: longest wait between retries |
| PRESENCE_TELEPHONY_REFRESH_SECONDS | ``300``: desired states redone; 0 = at start |
| PRESENCE_TELEPHONY_<NAME>_* | each adapter's own settings (its ``config``) |
| PRESENCE_AUTH_DISABLED    | ``false``; ``true`` = development mode, no auth |
| PRESENCE_AUTH_JWT_SECRET (or _FILE) | empty: HS256 shared secret for JWTs |
| PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE | empty: PEM key, RS256 or ES256 JWTs |
| PRESENCE_AUTH_JWT_ISSUER  | empty: ``iss`` is then not checked |
| PRESENCE_AUTH_JWT_AUDIENCE | ``presence-server``; empty = not checked |
| PRESENCE_AUTH_JWT_LEEWAY_SECONDS | ``30``: clock skew allowed on exp/nbf |
| PRESENCE_AUTH_API_KEYS_FILE | empty: JSON list of hashed API keys |
| PRESENCE_AUTH_REFLECTION  | ``true``: serve gRPC reflection (no auth) |
| PRESENCE_AUTH_MAX_RECEIVE_MESSAGE_BYTES (and _SEND_) | ``4194304`` |
| PRESENCE_AUTH_MAX_STREAMS_PER_IDENTITY | ``16``: Connect + SubscribePresence |
| PRESENCE_AUTH_RATE_PER_SECOND | ``50``: mutating calls per identity |
| PRESENCE_AUTH_RATE_BURST  | ``100``: mutating calls allowed at once |
| PRESENCE_TLS_CERT_FILE    | empty: plaintext; a PEM certificate (chain) serves TLS |
| PRESENCE_TLS_KEY_FILE     | the PEM private key of that certificate |
| PRESENCE_TLS_CLIENT_CA_FILE | empty; PEM CA(s): mutual TLS, client certs required |

A simulated clock stands still until an administrator moves it with the
``SimulatedClockService`` RPCs, which only such a server offers. It is for
replays, training and what-if runs, never for production: it must be asked
for explicitly, with its start, and the server warns loudly when it runs
on one.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import ArgumentError

from presence_server.domain.presence import ActivityKind
from presence_server.engine.rules import EngineConfig
from presence_server.storage.db import normalize_url
from presence_server.streaming.service import StreamConfig
from presence_server.telephony.worker import SyncOptions, backoff

ENV_PREFIX = "PRESENCE_"
DATABASE_FILE = "presence.db"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
ClockKind = Literal["system", "simulated"]

_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]]*):(?P<port>[0-9]{1,5})")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*\.?")
_ADAPTER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def parse_address(text: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:50051`` for IPv6) into host and port.

    An empty host means every interface. Raises ``ValueError`` with a message
    that says what is wrong.
    """
    match = _HOST_PORT.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not HOST:PORT (like 127.0.0.1:50051 or [::1]:50051)"
        )
    host, port = match["host"], int(match["port"])
    if port > 65535:
        raise ValueError(f"port {port} in {text!r} is above 65535")
    if host.startswith("["):
        ipaddress.IPv6Address(host[1:-1])
        return host[1:-1], port
    if host and not _is_host(host):
        raise ValueError(f"{host!r} in {text!r} is not a host name or IP address")
    return host, port


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _HOSTNAME.fullmatch(host) is not None
    return True


def sqlite_url(path: Path) -> str:
    """The database URL of the SQLite file at ``path`` (made absolute)."""
    return f"sqlite:///{path.resolve()}"


class Settings(BaseSettings):
    """Everything the server process can be told; see the module table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", validate_default=True
    )

    listen_address: str = Field(
        "127.0.0.1:50051", description="where gRPC listens, HOST:PORT; port 0 = any"
    )
    data_dir: Path = Field(
        Path("data"), description="directory for the SQLite file; created if missing"
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty = SQLite file in the data directory"
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: LogFormat = Field("text", description="text or json (one per line)")
    metrics_address: str = Field(
        "127.0.0.1:9464", description="Prometheus endpoint HOST:PORT; empty = off"
    )
    grace_seconds: float = Field(
        5.0, ge=0, le=300, description="seconds in-flight calls get at shutdown"
    )

    # --- presence rules ------------------------------------------------------
    disconnect_grace_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="seconds after the last client session is lost before Offline",
    )
    activity_ceiling_minutes: float = Field(
        240.0,
        gt=0,
        le=7 * 24 * 60,
        description="an activity open this long is closed (a lost 'call ended')",
    )
    max_shift_hours: float = Field(
        16.0, ge=0, le=72, description="shifts open this long are closed; 0 = never"
    )
    wrap_up_call_seconds: int = Field(0, ge=0, le=3600, description="after calls")
    wrap_up_chat_seconds: int = Field(0, ge=0, le=3600, description="after chats")
    wrap_up_task_seconds: int = Field(0, ge=0, le=3600, description="after tasks")
    wrap_up_interaction_seconds: int = Field(
        0, ge=0, le=3600, description="after generic interactions"
    )

    # --- presence streams (SubscribePresence) -------------------------------
    stream_heartbeat_seconds: float = Field(
        15.0, gt=0, le=3600, description="a quiet presence stream gets a heartbeat"
    )
    stream_max_pending: int = Field(
        10_000,
        ge=10,
        le=1_000_000,
        description="events that may wait for a subscriber before its stream ends",
    )
    event_retention: int = Field(
        100_000,
        ge=0,
        description="newest event revisions kept so that streams can resume",
    )
    feed_poll_ms: int = Field(
        500, ge=10, le=60_000, description="reads of events of other instances"
    )
    fanout_messages_per_second: int = Field(
        10_000,
        ge=100,
        description="stream messages per second fan-out aims at under load",
    )

    # --- telephony adapters (presence_server.telephony) ----------------------
    telephony_adapters: str = Field(
        "",
        description="adapters to enable, comma-separated (asterisk, fake, ...); "
        "each reads its own PRESENCE_TELEPHONY_<NAME>_* settings",
    )
    telephony_call_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="longest PBX read or write before a retry"
    )
    telephony_retry_initial_seconds: float = Field(
        1.0, gt=0, le=300, description="first wait before retrying a PBX write"
    )
    telephony_retry_max_seconds: float = Field(
        60.0, gt=0, le=3600, description="longest wait between PBX retries"
    )
    telephony_refresh_seconds: float = Field(
        300.0,
        ge=0,
        le=86400,
        description="how often desired PBX states are recomputed from presence "
        "(edited agents and status types); 0 = only at start",
    )

    @field_validator("telephony_adapters")
    @classmethod
    def _check_adapters(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        for name in names:
            if not _ADAPTER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an adapter name")
        if len(set(names)) != len(names):
            raise ValueError("names an adapter twice")
        return ",".join(names)

    # --- the simulated clock (replays, training) --------------------------
    clock: ClockKind = Field(
        "system", description="system, or simulated (moved only by an admin RPC)"
    )
    clock_start: datetime | None = Field(
        None, description="first instant of the simulated clock, with its offset"
    )

    @field_validator("clock", mode="before")
    @classmethod
    def _lower_case_clock(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_clock(self) -> Settings:
        if self.clock == "simulated":
            if self.clock_start is None:
                raise ValueError(
                    "PRESENCE_CLOCK=simulated needs PRESENCE_CLOCK_START, the "
                    "instant the simulated clock starts at (like "
                    "1999-02-01T06:00:00+02:00)"
                )
            if self.clock_start.tzinfo is None:
                raise ValueError(
                    "PRESENCE_CLOCK_START needs a UTC offset (like +02:00 or Z)"
                )
        elif self.clock_start is not None:
            raise ValueError(
                "PRESENCE_CLOCK_START is only used with PRESENCE_CLOCK=simulated"
            )
        return self

    # --- authentication, authorization and limits (presence_server.security) --
    auth_disabled: bool = Field(
        False,
        description="development mode: no authentication at all (a loud warning)",
    )
    auth_jwt_secret: SecretStr = Field(
        SecretStr(""), description="HS256 shared secret of JWTs; never logged"
    )
    auth_jwt_secret_file: Path | None = Field(
        None, description="file holding the HS256 secret (instead of the variable)"
    )
    auth_jwt_public_key_file: Path | None = Field(
        None, description="PEM public key of JWTs: RSA (RS256) or EC P-256 (ES256)"
    )
    auth_jwt_issuer: str = Field("", description="required iss claim; empty = any")
    auth_jwt_audience: str = Field(
        "presence-server", description="required aud claim; empty = not checked"
    )
    auth_jwt_leeway_seconds: float = Field(
        30.0, ge=0, le=600, description="clock skew allowed on exp and nbf"
    )
    auth_api_keys_file: Path | None = Field(
        None, description="JSON list of API keys: name, role, sha256, teams, agent_id"
    )
    auth_reflection: bool = Field(
        True, description="serve gRPC server reflection (open, like health)"
    )
    auth_max_receive_message_bytes: int = Field(
        4 * 1024 * 1024,
        ge=64 * 1024,
        le=64 * 1024 * 1024,
        description="largest request accepted, in bytes",
    )
    # At least 2 MiB: presence streams send messages of up to 1 MiB.
    auth_max_send_message_bytes: int = Field(
        4 * 1024 * 1024,
        ge=2 * 1024 * 1024,
        le=64 * 1024 * 1024,
        description="largest answer sent, in bytes",
    )
    auth_max_streams_per_identity: int = Field(
        16, ge=1, le=10_000, description="Connect + SubscribePresence open at once"
    )
    auth_rate_per_second: float = Field(
        50.0, gt=0, le=100_000, description="mutating calls per second per identity"
    )
    auth_rate_burst: int = Field(
        100, ge=1, le=1_000_000, description="mutating calls one identity may burst"
    )

    @field_validator("listen_address")
    @classmethod
    def _check_listen_address(cls, value: str) -> str:
        parse_address(value)
        return value.strip()

    @field_validator("metrics_address")
    @classmethod
    def _check_metrics_address(cls, value: str) -> str:
        if value.strip():
            parse_address(value)
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                normalize_url(value)
            except ArgumentError:
                # Not echoed: it may hold a password.
                raise ValueError(
                    "is not a database URL; use sqlite:///path or "
                    "postgresql://user@host/dbname"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        if not str(value).strip():
            raise ValueError("must not be empty")
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = sqlite_url(self.data_dir / DATABASE_FILE)
        return self

    # --- TLS (presence_server.tls) -----------------------------------------
    # Files are checked here, so a bad one stops the process with exit 2, and
    # read again when the server starts.
    tls_cert_file: Path | None = Field(
        None, description="PEM certificate (chain) of the server; empty = plaintext"
    )
    tls_key_file: Path | None = Field(
        None, description="PEM private key of the server certificate"
    )
    tls_client_ca_file: Path | None = Field(
        None,
        description="PEM CA certificate(s): mutual TLS, every client must present "
        "a certificate signed by one; empty = no client certificates",
    )

    @field_validator(
        "tls_cert_file", "tls_key_file", "tls_client_ca_file", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("tls_cert_file", "tls_key_file", "tls_client_ca_file")
    @classmethod
    def _readable_pem(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser().resolve()
        try:
            text = path.read_bytes()
        except OSError as error:
            raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
        if b"-----BEGIN " not in text:
            raise ValueError(f"{path} is not a PEM file")
        return path

    @model_validator(mode="after")
    def _check_tls(self) -> Settings:
        cert, key, client_ca = (
            self.tls_cert_file,
            self.tls_key_file,
            self.tls_client_ca_file,
        )
        if cert is not None and key is None:
            raise ValueError(
                "PRESENCE_TLS_CERT_FILE needs PRESENCE_TLS_KEY_FILE, its private key"
            )
        if key is not None and cert is None:
            raise ValueError(
                "PRESENCE_TLS_KEY_FILE needs PRESENCE_TLS_CERT_FILE, its certificate"
            )
        if client_ca is not None and cert is None:
            raise ValueError(
                "PRESENCE_TLS_CLIENT_CA_FILE (mutual TLS) needs "
                "PRESENCE_TLS_CERT_FILE and PRESENCE_TLS_KEY_FILE"
            )
        if cert is None or key is None:
            return self
        # The same checks gRPC makes later, but here with a message that says
        # which setting is wrong.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError as error:
            raise ValueError(
                "PRESENCE_TLS_CERT_FILE and PRESENCE_TLS_KEY_FILE are not a "
                f"certificate and its private key ({error.reason or error})"
            ) from None
        if client_ca is not None:
            try:
                context.load_verify_locations(cafile=client_ca)
            except ssl.SSLError as error:
                raise ValueError(
                    "PRESENCE_TLS_CLIENT_CA_FILE holds no usable CA certificate "
                    f"({error.reason or error})"
                ) from None
        return self


def describe_error(error: ValidationError) -> str:
    """One line naming each bad setting by its variable and flag."""
    parts = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        message = str(problem["msg"]).removeprefix("Value error, ")
        if name:
            variable = ENV_PREFIX + name.upper()
            flag = "--" + name.replace("_", "-")
            parts.append(f"{variable} ({flag}): {message}")
        else:
            parts.append(message)
    return "invalid settings: " + "; ".join(parts)


def engine_config(settings: Settings) -> EngineConfig:
    """The transition rules' settings."""
    wrap_up = {
        ActivityKind.CALL: settings.wrap_up_call_seconds,
        ActivityKind.CHAT: settings.wrap_up_chat_seconds,
        ActivityKind.TASK: settings.wrap_up_task_seconds,
        ActivityKind.INTERACTION: settings.wrap_up_interaction_seconds,
    }
    return EngineConfig(
        grace=timedelta(seconds=settings.disconnect_grace_seconds),
        activity_ceiling=timedelta(minutes=settings.activity_ceiling_minutes),
        max_shift=timedelta(hours=settings.max_shift_hours),
        wrap_up={kind: timedelta(seconds=s) for kind, s in wrap_up.items() if s},
    )


def telephony_adapters(settings: Settings) -> list[str]:
    """Names of the telephony adapters to enable, in the order given."""
    return [n for n in settings.telephony_adapters.split(",") if n]


def telephony_options(settings: Settings) -> SyncOptions:
    """How telephony workers retry."""
    return SyncOptions(
        call_timeout=settings.telephony_call_timeout_seconds,
        wait=backoff(
            settings.telephony_retry_initial_seconds,
            max(
                settings.telephony_retry_max_seconds,
                settings.telephony_retry_initial_seconds,
            ),
        ),
    )


def stream_config(settings: Settings) -> StreamConfig:
    """How presence streams behave."""
    return StreamConfig(
        heartbeat=timedelta(seconds=settings.stream_heartbeat_seconds),
        max_pending=settings.stream_max_pending,
        poll_interval=settings.feed_poll_ms / 1000,
        retention=settings.event_retention,
        messages_per_second=settings.fanout_messages_per_second,
    )
