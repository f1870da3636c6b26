"""JWTs: what is accepted, and every way a token is refused (and why)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import presence_pb2
from presence_server.domain.errors import Unauthenticated
from presence_server.security.identity import Identity, Role
from presence_server.security.tokens import JwtVerifier, public_key_algorithm
from tests.conftest import START
from tests.helpers.server import RunningServer
from tests.security.conftest import AUDIENCE, SECRET, bearer, mint


def verifier(**overrides: object) -> JwtVerifier:
    values: dict[str, object] = {
        "keys": {"HS256": SECRET.encode()},
        "issuer": "",
        "audience": AUDIENCE,
        "leeway": timedelta(seconds=30),
        "now": lambda: START,
    }
    values.update(overrides)
    return JwtVerifier(**values)  # type: ignore[arg-type]


def _unsigned(claims: dict[str, object]) -> str:
    def part(doc: dict[str, object]) -> str:
        raw = json.dumps(doc).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_a_valid_token_names_its_caller() -> None:
    token = mint(sub="sam", role="supervisor", teams=["north", "east"])

    identity = verifier().verify(token)

    assert identity == Identity(
        "sam", Role.SUPERVISOR, "jwt", "", frozenset({"north", "east"})
    )
    assert identity.actor == "supervisor:sam"


def test_an_agent_token_acts_for_its_sub_unless_it_names_an_agent() -> None:
    assert verifier().verify(mint(sub="ann")).agent_id == "ann"
    assert verifier().verify(mint(sub="u-17", agent_id="ann")).agent_id == "ann"


EXP = int(START.timestamp())
ISSUER = "https://idp.example"


def issued(**claims: object) -> str:
    return mint(**{"iss": ISSUER, **claims})


REFUSED = [
    pytest.param(issued(exp=EXP - 31), "TOKEN_EXPIRED", id="expired"),
    pytest.param(issued(nbf=EXP + 31), "TOKEN_NOT_YET_VALID", id="not-yet-valid"),
    pytest.param(issued(aud="another"), "TOKEN_WRONG_AUDIENCE", id="wrong-audience"),
    pytest.param(issued(aud=None), "TOKEN_CLAIMS_INVALID", id="no-audience"),
    pytest.param(
        issued(iss="https://evil.example"), "TOKEN_WRONG_ISSUER", id="wrong-issuer"
    ),
    pytest.param(issued(iss=None), "TOKEN_CLAIMS_INVALID", id="no-issuer"),
    pytest.param(
        issued(secret="another-secret-that-is-long-enough"),
        "TOKEN_BAD_SIGNATURE",
        id="wrong-signature",
    ),
    pytest.param(
        _unsigned(
            {"sub": "ann", "role": "admin", "aud": AUDIENCE, "iss": ISSUER, "exp": EXP}
        ),
        "TOKEN_ALGORITHM_REFUSED",
        id="alg-none",
    ),
    pytest.param("not-a-token", "TOKEN_MALFORMED", id="malformed"),
    pytest.param("a.b.c", "TOKEN_MALFORMED", id="three-garbage-parts"),
    pytest.param(issued(exp=None), "TOKEN_CLAIMS_INVALID", id="no-exp"),
    pytest.param(issued(role="root"), "TOKEN_CLAIMS_INVALID", id="unknown-role"),
    pytest.param(issued(role=None), "TOKEN_CLAIMS_INVALID", id="no-role"),
    pytest.param(issued(teams="north"), "TOKEN_CLAIMS_INVALID", id="teams-a-string"),
]


@pytest.mark.parametrize(("token", "reason"), REFUSED)
def test_a_bad_token_is_refused_with_its_reason(token: str, reason: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        verifier(issuer=ISSUER).verify(token)

    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"exp": 1e20}, id="exp-1e20"),
        pytest.param({"exp": float("inf")}, id="exp-infinity"),
        pytest.param({"exp": float("-inf")}, id="exp-minus-infinity"),
        pytest.param({"exp": float("nan")}, id="exp-nan"),
        pytest.param({"nbf": -1e20}, id="nbf-minus-1e20"),
        pytest.param({"nbf": float("inf")}, id="nbf-infinity"),
    ],
)
def test_a_signed_token_with_an_unrepresentable_time_is_refused(
    claims: dict[str, float],
) -> None:
    with pytest.raises(Unauthenticated) as refused:
        verifier().verify(mint(**claims))

    assert refused.value.reason == "TOKEN_CLAIMS_INVALID"


async def test_the_server_answers_an_unrepresentable_exp_as_unauthenticated(
    auth_server: RunningServer,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await auth_server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id="ann"),
            metadata=bearer(mint(exp=1e20)),
        )

    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert _reason(refused.value) == "TOKEN_CLAIMS_INVALID"


def test_leeway_accepts_a_token_just_expired() -> None:
    assert verifier().verify(mint(exp=EXP - 29)).name == "ann"


def test_expiry_follows_the_injected_clock() -> None:
    token = mint(exp=EXP + 600)

    assert verifier(now=lambda: START).verify(token).name == "ann"
    with pytest.raises(Unauthenticated, match="expired"):
        verifier(now=lambda: START + timedelta(hours=1)).verify(token)


def test_a_token_from_the_configured_issuer_is_accepted() -> None:
    token = mint(iss=ISSUER)

    assert verifier(issuer=ISSUER).verify(token).name == "ann"
    with pytest.raises(Unauthenticated, match="'iss'"):
        verifier(issuer=ISSUER).verify(mint())


def test_an_hs256_token_is_refused_by_a_server_with_a_public_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    algorithm, public = public_key_algorithm(pem)
    rs256 = verifier(keys={algorithm: public})
    signed = jwt.encode(
        {"sub": "ann", "role": "agent", "aud": AUDIENCE, "exp": EXP + 60},
        key,
        algorithm="RS256",
    )

    assert algorithm == "RS256"
    assert rs256.verify(signed).name == "ann"
    with pytest.raises(Unauthenticated) as refused:
        # The classic confusion: the public key used as an HMAC secret.
        rs256.verify(jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"))
    assert refused.value.reason == "TOKEN_ALGORITHM_REFUSED"


def test_an_ec_p256_public_key_means_es256() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    algorithm, public = public_key_algorithm(pem)
    signed = jwt.encode(
        {"sub": "crm", "role": "integration", "aud": AUDIENCE, "exp": EXP + 60},
        key,
        algorithm="ES256",
    )

    assert algorithm == "ES256"
    assert verifier(keys={"ES256": public}).verify(signed).role is Role.INTEGRATION


async def test_the_server_refuses_a_call_without_credentials(
    auth_server: RunningServer,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await auth_server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id="ann")
        )

    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer" in (refused.value.details() or "")
    assert _reason(refused.value) == "CREDENTIALS_MISSING"


def _reason(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return str(info.reason)


# The server's own clock is at START; its issuer is not configured; a bearer
# value that is not shaped like a JWT is looked up as an API key.
@pytest.mark.parametrize(
    ("token", "reason"),
    [p for p in REFUSED if p.id not in ("wrong-issuer", "no-issuer", "malformed")],
)
async def test_the_server_refuses_a_bad_token_as_unauthenticated(
    auth_server: RunningServer, token: str, reason: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await auth_server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id="ann"), metadata=bearer(token)
        )

    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert _reason(refused.value) == reason


async def test_health_needs_no_credentials(auth_server: RunningServer) -> None:
    from grpc_health.v1 import health_pb2

    reply = await auth_server.health.Check(health_pb2.HealthCheckRequest())

    assert reply.status == health_pb2.HealthCheckResponse.SERVING
