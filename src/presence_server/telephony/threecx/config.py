"""Settings of the 3CX v20 adapter: ``PRESENCE_TELEPHONY_3CX_*``.

| variable (after the prefix) | default | meaning |
| --- | --- | --- |
| URL | (required) | the PBX's web address, like ``https://pbx.example.com`` |
| CLIENT_ID | (required) | the API client (3CX: Integrations > API) |
| CLIENT_SECRET or _FILE | (one required) | its secret, or a file holding it |
| PROFILE_AVAILABLE | ``Available`` | profile for the generic presence ``available`` |
| PROFILE_AWAY | ``Away`` | profile for ``away`` |
| PROFILE_UNAVAILABLE | ``Out of office`` | profile for ``unavailable`` |
| RING_MOBILE | ``false`` | set the profile's ``RingMyMobile`` from ``ring_mobile`` |
| REQUEST_TIMEOUT_SECONDS | ``10`` | longest wait for one HTTP answer |
| CONNECT_TIMEOUT_SECONDS | ``5`` | token, websocket opening, first call list |
| TOKEN_REFRESH_SECONDS | ``60`` | a token is renewed this long before it expires |
| RECONNECT_INITIAL_SECONDS, RECONNECT_MAX_SECONDS | ``1``, ``30`` | reconnect backoff |
| PING_SECONDS | ``20`` | websocket keep-alive ping |

A status type's mapping for this adapter names a profile in
``presence_profile``; without one, the profile of the status kind's generic
presence value is used. Either names one of the user's forwarding profiles
by its ``Name``, its ``CustomName`` (``Lunch break``) or its type token
(``Available``, ``Away``, ``OutOfOffice``, ``Available2``,
``OutOfOffice2``), case-insensitively; the profile's ``Name`` is what is
sent as ``CurrentProfileName``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ThreeCxConfig(BaseSettings):
    """See the module table. The secret is a ``SecretStr``: never shown."""

    # Errors never echo the input: it may hold the secret.
    model_config = SettingsConfigDict(
        env_prefix="PRESENCE_TELEPHONY_3CX_",
        extra="forbid",
        hide_input_in_errors=True,
    )

    url: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    client_secret_file: Path | None = None
    profile_available: str = "Available"
    profile_away: str = "Away"
    profile_unavailable: str = "Out of office"
    # Off unless asked for: once on, every status's ring_mobile is written,
    # so a RingMyMobile an administrator set by hand would be overwritten.
    ring_mobile: bool = False
    request_timeout_seconds: float = Field(10.0, gt=0, le=300)
    connect_timeout_seconds: float = Field(5.0, gt=0, le=300)
    token_refresh_seconds: float = Field(60.0, ge=0, le=3600)
    reconnect_initial_seconds: float = Field(1.0, gt=0, le=300)
    reconnect_max_seconds: float = Field(30.0, gt=0, le=3600)
    ping_seconds: float = Field(20.0, gt=0, le=3600)

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("is required: the PBX's address, like https://pbx.example")
        return value

    @field_validator("profile_available", "profile_away", "profile_unavailable")
    @classmethod
    def _profile_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a forwarding profile")
        return value.strip()

    @model_validator(mode="after")
    def _load_secret(self) -> ThreeCxConfig:
        if not self.client_id.strip():
            raise ValueError("CLIENT_ID is required: the 3CX API client")
        if self.client_secret_file is not None:
            try:
                text = self.client_secret_file.read_text(encoding="utf-8")
            except OSError as error:
                # The path only: never the content.
                raise ValueError(
                    f"CLIENT_SECRET_FILE {self.client_secret_file} cannot be read: "
                    f"{error.strerror or error}"
                ) from None
            self.client_secret = SecretStr(text.rstrip("\r\n"))
        if not self.client_secret.get_secret_value():
            raise ValueError("CLIENT_SECRET or CLIENT_SECRET_FILE is required")
        return self

    @property
    def profiles(self) -> dict[str, str]:
        """Profile name by generic presence value."""
        return {
            "available": self.profile_available,
            "away": self.profile_away,
            "unavailable": self.profile_unavailable,
        }
