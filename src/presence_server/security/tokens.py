"""Verified JWTs: signature, algorithm, ``exp``, ``nbf``, ``iss``, ``aud``.

The algorithms accepted are fixed by the configured keys (HS256 for a shared
secret, RS256 or ES256 from the public key's type), never by the token:
a token whose header names anything else (``none`` included) is refused
before its signature is looked at. Time comes from the injected clock, so
``exp`` and ``nbf`` are checked against the server's own notion of now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from presence_server.domain.errors import Unauthenticated

from .identity import Identity, Role


def public_key_algorithm(pem: bytes) -> tuple[str, Any]:
    """The algorithm a PEM public key signs with, and the loaded key.

    Raises ``ValueError`` saying why a key cannot be used.
    """
    try:
        key = load_pem_public_key(pem)
    except ValueError as error:
        raise ValueError(f"is not a PEM public key: {error}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256", key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ES256", key
    raise ValueError("must be an RSA key (RS256) or an EC P-256 key (ES256)")


def _refused(message: str, reason: str) -> Unauthenticated:
    return Unauthenticated(message, reason=reason)


def _claims_identity(claims: Mapping[str, Any]) -> Identity:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _refused("the token has no 'sub' claim", "TOKEN_CLAIMS_INVALID")
    try:
        role = Role(claims.get("role"))
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise _refused(
            f"the token's 'role' claim must be one of {names}", "TOKEN_CLAIMS_INVALID"
        ) from None
    agent_id = claims.get("agent_id", sub if role is Role.AGENT else "")
    teams = claims.get("teams", [])
    if not isinstance(agent_id, str) or not (
        isinstance(teams, list) and all(isinstance(t, str) for t in teams)
    ):
        raise _refused(
            "the token's 'agent_id' must be a string and 'teams' a list of strings",
            "TOKEN_CLAIMS_INVALID",
        )
    return Identity(sub, role, "jwt", agent_id, frozenset(teams))


class JwtVerifier:
    """Checks bearer JWTs and turns their claims into an ``Identity``.

    Args:
        keys: algorithm -> key (the secret's bytes or a public key).
        issuer: the required ``iss``; empty = not checked.
        audience: the required ``aud``; empty = not checked.
        leeway: clock skew allowed on ``exp`` and ``nbf``.
        now: the server clock.
    """

    def __init__(
        self,
        keys: Mapping[str, Any],
        *,
        issuer: str,
        audience: str,
        leeway: timedelta,
        now: Callable[[], datetime],
    ) -> None:
        self._keys = dict(keys)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._now = now

    @property
    def algorithms(self) -> list[str]:
        """The algorithms accepted, from the configured keys."""
        return sorted(self._keys)

    def verify(self, token: str) -> Identity:
        """The token's identity; ``Unauthenticated`` saying why if refused."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise _refused("the bearer token is not a JWT", "TOKEN_MALFORMED") from None
        algorithm = header.get("alg")
        if algorithm not in self._keys:
            accepted = ", ".join(sorted(self._keys))
            raise _refused(
                f"the token is signed with {algorithm!r}; this server accepts "
                f"only {accepted}",
                "TOKEN_ALGORITHM_REFUSED",
            )
        claims = self._decode(token, str(algorithm))
        expires_at = self._check_times(claims)
        return replace(_claims_identity(claims), expires_at=expires_at)

    def _decode(self, token: str, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._keys[algorithm],
                algorithms=[algorithm],
                audience=self._audience or None,
                issuer=self._issuer or None,
                options={
                    # exp and nbf are checked against the injected clock below.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": bool(self._audience),
                    "require": ["exp", "sub"],
                },
            )
        except jwt.InvalidAudienceError:
            raise _refused(
                f"the token is not for this server (its audience must be "
                f"{self._audience!r})",
                "TOKEN_WRONG_AUDIENCE",
            ) from None
        except jwt.InvalidIssuerError:
            raise _refused(
                f"the token was not issued by {self._issuer!r}", "TOKEN_WRONG_ISSUER"
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise _refused(
                f"the token has no {error.claim!r} claim", "TOKEN_CLAIMS_INVALID"
            ) from None
        except jwt.InvalidSignatureError:
            raise _refused(
                "the token's signature does not verify", "TOKEN_BAD_SIGNATURE"
            ) from None
        except jwt.InvalidTokenError:
            raise _refused(
                "the bearer token is not a valid JWT", "TOKEN_MALFORMED"
            ) from None
        return claims

    def _check_times(self, claims: Mapping[str, Any]) -> datetime | None:
        """Refuse a token outside its time window; when it stops being accepted."""
        now = self._now()
        exp = _instant(claims, "exp")
        nbf = _instant(claims, "nbf")
        if exp is not None and exp <= now - self._leeway:
            raise _refused(
                f"the token expired at {exp.isoformat()}; get a new one",
                "TOKEN_EXPIRED",
            )
        if nbf is not None and nbf > now + self._leeway:
            raise _refused(
                f"the token is not valid before {nbf.isoformat()}",
                "TOKEN_NOT_YET_VALID",
            )
        if exp is None:
            return None
        try:
            return exp + self._leeway
        except OverflowError:
            # An exp within the leeway of the year 9999: never, in practice.
            return None


def _instant(claims: Mapping[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refused(
            f"the token's {name!r} claim must be a number", "TOKEN_CLAIMS_INVALID"
        )
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        # Infinity, NaN, or a number of seconds outside any date.
        raise _refused(
            f"the token's {name!r} claim is not a representable time",
            "TOKEN_CLAIMS_INVALID",
        ) from None
