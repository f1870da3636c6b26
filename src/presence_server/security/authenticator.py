"""Credentials in, an ``Identity`` out: JWTs and API keys, from settings.

A call presents ``authorization: Bearer <token or key>`` or
``x-api-key: <key>``. A bearer value shaped like a JWT (three dot-separated
parts) is verified as one; anything else is looked up as an API key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from presence_server.domain.errors import Unauthenticated
from presence_server.settings import Settings

from .api_keys import ApiKeys
from .identity import Identity
from .tokens import JwtVerifier, public_key_algorithm

AUTHORIZATION = "authorization"
API_KEY_HEADER = "x-api-key"


class AuthConfigError(Exception):
    """The authentication settings cannot work; the message says what to fix."""


def auth_problem(settings: Settings) -> str | None:
    """Why the server must not start with these settings, or ``None``."""
    if settings.auth_disabled:
        return None
    configured = (
        settings.auth_jwt_secret.get_secret_value()
        or settings.auth_jwt_secret_file
        or settings.auth_jwt_public_key_file
        or settings.auth_api_keys_file
    )
    if configured:
        return None
    return (
        "authentication is on but nothing can verify a caller: set "
        "PRESENCE_AUTH_JWT_SECRET (or PRESENCE_AUTH_JWT_SECRET_FILE), "
        "PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE or PRESENCE_AUTH_API_KEYS_FILE; "
        "or, for development only, PRESENCE_AUTH_DISABLED=true"
    )


def _read(path: Path, variable: str) -> bytes:
    try:
        data: bytes = path.read_bytes()
    except OSError as error:
        raise AuthConfigError(
            f"{variable}: cannot read {path}: {error.strerror}"
        ) from None
    return data


MIN_SECRET_BYTES = 32


def jwt_secret(secret: bytes, secret_file: Path | None) -> bytes:
    """The HS256 secret, from its value or its file; empty when neither is set.

    ``AuthConfigError`` when both are set, the file cannot be read, or the
    secret is shorter than ``MIN_SECRET_BYTES``. The server verifies with it
    and ``presencectl token`` signs with it, so both read it this one way.
    """
    if secret_file is not None:
        if secret:
            raise AuthConfigError(
                "set PRESENCE_AUTH_JWT_SECRET or PRESENCE_AUTH_JWT_SECRET_FILE, "
                "not both"
            )
        secret = _read(secret_file, "PRESENCE_AUTH_JWT_SECRET_FILE").strip()
    if secret and len(secret) < MIN_SECRET_BYTES:
        raise AuthConfigError(
            f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes (HS256); "
            "try: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return secret


def _jwt_keys(settings: Settings) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    secret = jwt_secret(
        settings.auth_jwt_secret.get_secret_value().encode(),
        settings.auth_jwt_secret_file,
    )
    if secret:
        keys["HS256"] = secret
    if settings.auth_jwt_public_key_file is not None:
        if secret:
            # One key, one algorithm: a server that took both an HS256 secret
            # and a public key would accept tokens signed either way.
            raise AuthConfigError(
                "set a JWT secret (PRESENCE_AUTH_JWT_SECRET or "
                "PRESENCE_AUTH_JWT_SECRET_FILE, HS256) or "
                "PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE (RS256 or ES256), not both"
            )
        path = settings.auth_jwt_public_key_file
        pem = _read(path, "PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE")
        try:
            algorithm, key = public_key_algorithm(pem)
        except ValueError as error:
            raise AuthConfigError(
                f"PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE {path} {error}"
            ) from None
        keys[algorithm] = key
    return keys


def settings_problem(settings: Settings) -> str | None:
    """Why these authentication settings cannot start a server, or ``None``.

    Reads the key files the settings name, as the server will, so that a
    short secret, an unreadable or invalid keys file or public key is found
    before anything starts.
    """
    if settings.auth_disabled:
        return None
    try:
        Authenticator.from_settings(settings, lambda: datetime.now(UTC))
    except AuthConfigError as error:
        return str(error)
    return None


class Authenticator:
    """Tells who a call's metadata says it is.

    Build with ``from_settings`` (which reads the key files once, at start)
    or directly in tests.
    """

    def __init__(
        self, jwt_verifier: JwtVerifier | None, api_keys: ApiKeys | None
    ) -> None:
        self._jwt = jwt_verifier
        self._api_keys = api_keys

    @classmethod
    def from_settings(
        cls, settings: Settings, now: Callable[[], datetime]
    ) -> Authenticator:
        """The authenticator the settings describe; ``AuthConfigError`` if none."""
        problem = auth_problem(settings)
        if problem:
            raise AuthConfigError(problem)
        keys = _jwt_keys(settings)
        verifier = None
        if keys:
            verifier = JwtVerifier(
                keys,
                issuer=settings.auth_jwt_issuer,
                audience=settings.auth_jwt_audience,
                leeway=timedelta(seconds=settings.auth_jwt_leeway_seconds),
                now=now,
            )
        api_keys = None
        if settings.auth_api_keys_file is not None:
            try:
                api_keys = ApiKeys.load(settings.auth_api_keys_file)
            except ValueError as error:
                raise AuthConfigError(f"PRESENCE_AUTH_API_KEYS_FILE: {error}") from None
        return cls(verifier, api_keys)

    @property
    def methods(self) -> list[str]:
        """What this server accepts, for its startup log line."""
        found = []
        if self._jwt is not None:
            found.append(f"JWT ({', '.join(self._jwt.algorithms)})")
        if self._api_keys is not None:
            found.append("API keys")
        return found

    def authenticate(self, metadata: Iterable[tuple[str, Any]]) -> Identity:
        """The caller's identity; ``Unauthenticated`` saying why if none.

        A call must carry exactly one credential: several (two
        ``authorization`` values, two ``x-api-key`` values, or one of each)
        are refused rather than resolved, so no header order or proxy that
        adds one decides who the caller is.
        """
        credentials = [
            (key, value)
            for key, value in metadata
            if key in (AUTHORIZATION, API_KEY_HEADER)
        ]
        if not credentials:
            raise Unauthenticated(
                "no credentials: send 'authorization: Bearer <token>' (a token "
                "from presencectl token, or your identity provider) or 'x-api-key'",
                reason="CREDENTIALS_MISSING",
            )
        if len(credentials) > 1:
            names = ", ".join(key for key, _ in credentials)
            raise Unauthenticated(
                f"the call carries {len(credentials)} credentials ({names}); send "
                "exactly one: 'authorization: Bearer <token>' or 'x-api-key'",
                reason="CREDENTIALS_AMBIGUOUS",
            )
        key, value = credentials[0]
        text = value if isinstance(value, str) else ""
        if key == API_KEY_HEADER:
            return self._key(text.strip())
        scheme, _, credential = text.strip().partition(" ")
        bearer = credential.strip()
        if scheme.lower() != "bearer" or not bearer:
            raise Unauthenticated(
                "the authorization header must be 'Bearer <token>'",
                reason="CREDENTIALS_MALFORMED",
            )
        if bearer.count(".") == 2 and self._jwt is not None:
            return self._jwt.verify(bearer)
        return self._key(bearer)

    def _key(self, key: str) -> Identity:
        identity = None if self._api_keys is None else self._api_keys.find(key)
        if identity is None:
            what = "API key" if self._jwt is None else "token or API key"
            raise Unauthenticated(
                f"the {what} is not valid here", reason="CREDENTIALS_INVALID"
            )
        return identity
