"""Static API keys: hashed in a file, presented as a bearer or x-api-key."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from presence_server._proto.presence.v1 import status_types_pb2
from presence_server.security.api_keys import ApiKeys, hash_key
from presence_server.security.identity import Role
from tests.helpers.server import RunningServer
from tests.security.conftest import API_KEY, write_api_keys

LIST = status_types_pb2.ListStatusTypesRequest()


def test_a_key_is_found_by_its_hash(tmp_path: Path) -> None:
    keys = ApiKeys.load(write_api_keys(tmp_path))

    identity = keys.find(API_KEY)

    assert identity is not None
    assert (identity.name, identity.role, identity.actor) == (
        "crm",
        Role.INTEGRATION,
        "apikey:crm",
    )
    assert keys.find(API_KEY + "x") is None
    assert keys.find(hash_key(API_KEY)) is None  # the hash is not the key


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        pytest.param({"name": "x"}, "must hold a JSON list", id="not-a-list"),
        pytest.param(
            [{"role": "admin", "sha256": "0" * 64}], "needs a 'name'", id="no-name"
        ),
        pytest.param(
            [{"name": "x", "role": "root", "sha256": "0" * 64}],
            "is no role",
            id="bad-role",
        ),
        pytest.param(
            [{"name": "x", "role": "admin", "sha256": "secret"}],
            "64 lower-case hex",
            id="plain-key-instead-of-hash",
        ),
        pytest.param(
            [{"name": "x", "role": "admin", "sha256": "0" * 64, "key": "k"}],
            "unknown fields",
            id="unknown-field",
        ),
        pytest.param(
            [
                {"name": "crm", "role": "integration", "sha256": "a" * 64},
                {"name": "ops", "role": "admin", "sha256": "a" * 64},
            ],
            r"entries 0 \(crm\) and 1 \(ops\) have the same 'sha256'",
            id="duplicate-hash",
        ),
        pytest.param(
            [
                {"name": "crm", "role": "integration", "sha256": "a" * 64},
                {"name": "crm", "role": "admin", "sha256": "b" * 64},
            ],
            "entries 0 and 1 have the same name 'crm'",
            id="duplicate-name",
        ),
    ],
)
def test_a_bad_keys_file_is_refused_saying_why(
    tmp_path: Path, entries: object, message: str
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(entries))

    with pytest.raises(ValueError, match=message):
        ApiKeys.load(path)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param((("authorization", f"Bearer {API_KEY}"),), id="bearer"),
        pytest.param((("x-api-key", API_KEY),), id="x-api-key"),
    ],
)
async def test_the_right_key_is_let_in(
    auth_server: RunningServer, metadata: tuple[tuple[str, str]]
) -> None:
    reply = await auth_server.status_types.ListStatusTypes(LIST, metadata=metadata)

    assert reply.status_types


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param((("x-api-key", "pk_wrong"),), id="wrong-key"),
        pytest.param((("authorization", "Bearer pk_wrong"),), id="wrong-bearer"),
        pytest.param((("authorization", f"Basic {API_KEY}"),), id="not-bearer"),
    ],
)
async def test_a_wrong_key_is_unauthenticated(
    auth_server: RunningServer, metadata: tuple[tuple[str, str]]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await auth_server.status_types.ListStatusTypes(LIST, metadata=metadata)

    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
