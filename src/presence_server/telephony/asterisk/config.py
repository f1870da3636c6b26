"""Settings of the Asterisk adapter: ``PRESENCE_TELEPHONY_ASTERISK_*``.

| variable (after the prefix) | default | meaning |
| --- | --- | --- |
| HOST, PORT | ``127.0.0.1``, ``5038`` | the AMI listener (``manager.conf``) |
| USERNAME | (required) | the AMI user |
| SECRET or SECRET_FILE | (one required) | its secret, or a file holding it |
| MEMBER_INTERFACE | ``Local/{ext}@from-queue/n`` | the queue member interface |
| STATE_INTERFACE | ``hint:{ext}@ext-local`` | its state interface |
| MEMBER_PENALTY | ``0`` | penalty of members we add |
| DEVICE | ``PJSIP/{ext}`` | the phone's channels (``PJSIP/1001-0000002a``) |
| PRESENCE_PROVIDER | ``CustomPresence:{ext}`` | where presence is set |
| DND_FAMILY | ``DND`` | AstDB family of FreePBX's do-not-disturb |
| DND_DEVICE_STATE | ``Custom:DND{ext}`` | the DND lamp (BLF) |
| FOLLOWME | ``false`` | apply ``ring_mobile`` to FreePBX follow-me |
| FOLLOWME_LIST | (empty) | also write the follow-me list (``{ext}-{mobile_digits}#``) |
| EXTERNAL_CALLS_KEY | (empty) | AstDB key for ``external_calls`` (below) |
| ACTION_TIMEOUT_SECONDS | ``10`` | longest wait for one AMI answer |
| CONNECT_TIMEOUT_SECONDS | ``5`` | connect, greeting and login |
| RECONNECT_INITIAL_SECONDS, RECONNECT_MAX_SECONDS | ``1``, ``30`` | reconnect backoff |
| PING_SECONDS | ``20`` | keep-alive ``Ping``; no answer = reconnect |

``EXTERNAL_CALLS_KEY`` is an AstDB ``FAMILY/KEY`` template such as
``PRESENCE/{ext}/external``; the adapter writes ``YES`` or ``NO`` there for
the site's dialplan to check (a missing key must count as ``NO``: it is
only written once the status allows external calls). Empty: external calls
are not applied.

Templates take ``{ext}`` (and the follow-me list also ``{mobile}`` and
``{mobile_digits}``). The defaults are FreePBX's; a plain Asterisk names its
own (the recorded reference setup uses ``Local/{ext}@agents/n`` with
``Custom:{ext}``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AsteriskConfig(BaseSettings):
    """See the module table. The secret is a ``SecretStr``: never shown."""

    # Errors never echo the input: it holds the secret.
    model_config = SettingsConfigDict(
        env_prefix="PRESENCE_TELEPHONY_ASTERISK_",
        extra="forbid",
        hide_input_in_errors=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = ""
    secret: SecretStr = SecretStr("")
    secret_file: Path | None = None
    member_interface: str = "Local/{ext}@from-queue/n"
    state_interface: str = "hint:{ext}@ext-local"
    member_penalty: int = Field(0, ge=0)
    device: str = "PJSIP/{ext}"
    presence_provider: str = "CustomPresence:{ext}"
    dnd_family: str = "DND"
    dnd_device_state: str = "Custom:DND{ext}"
    followme: bool = False
    followme_list: str = ""
    external_calls_key: str = ""
    action_timeout_seconds: float = Field(10.0, gt=0, le=300)
    connect_timeout_seconds: float = Field(5.0, gt=0, le=300)
    reconnect_initial_seconds: float = Field(1.0, gt=0, le=300)
    reconnect_max_seconds: float = Field(30.0, gt=0, le=3600)
    ping_seconds: float = Field(20.0, gt=0, le=3600)

    @field_validator(
        "member_interface", "device", "presence_provider", "dnd_device_state"
    )
    @classmethod
    def _needs_extension(cls, value: str) -> str:
        if "{ext}" not in value:
            raise ValueError("must contain {ext}, the agent's extension")
        return value.strip()

    @field_validator("external_calls_key")
    @classmethod
    def _family_and_key(cls, value: str) -> str:
        value = value.strip()
        if value and ("/" not in value or "{ext}" not in value):
            raise ValueError(
                "must be FAMILY/KEY with {ext}, like PRESENCE/{ext}/external"
            )
        return value

    @model_validator(mode="after")
    def _load_secret(self) -> AsteriskConfig:
        if not self.username.strip():
            raise ValueError("USERNAME is required: the AMI user of manager.conf")
        if self.secret_file is not None:
            try:
                text = self.secret_file.read_text(encoding="utf-8")
            except OSError as error:
                # The path only: never the content.
                raise ValueError(
                    f"SECRET_FILE {self.secret_file} cannot be read: "
                    f"{error.strerror or error}"
                ) from None
            self.secret = SecretStr(text.rstrip("\r\n"))
        if not self.secret.get_secret_value():
            raise ValueError("SECRET or SECRET_FILE is required")
        return self
