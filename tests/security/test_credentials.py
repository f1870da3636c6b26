"""One credential per call: several are refused, never resolved by order."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import status_types_pb2
from presence_server.domain.errors import Unauthenticated
from presence_server.security.api_keys import ApiKeys
from presence_server.security.authenticator import Authenticator
from tests.helpers.server import RunningServer
from tests.security.conftest import API_KEY, mint, write_api_keys
from tests.security.test_tokens import verifier

LIST = status_types_pb2.ListStatusTypesRequest()
GOOD = f"Bearer {mint(sub='root', role='admin')}"

AMBIGUOUS = [
    pytest.param(
        (("authorization", GOOD), ("authorization", GOOD)), id="two-good-bearers"
    ),
    pytest.param(
        (("authorization", "Bearer junk"), ("authorization", GOOD)),
        id="junk-then-good-bearer",
    ),
    pytest.param(
        (("authorization", GOOD), ("authorization", "Basic x")),
        id="good-then-malformed",
    ),
    pytest.param(
        (("x-api-key", API_KEY), ("x-api-key", "pk_wrong")), id="two-api-keys"
    ),
    pytest.param(
        (("authorization", GOOD), ("x-api-key", API_KEY)), id="bearer-and-api-key"
    ),
    pytest.param(
        (("x-api-key", "pk_wrong"), ("authorization", GOOD)),
        id="api-key-and-bearer",
    ),
]


def _authenticator(directory: Path) -> Authenticator:
    return Authenticator(verifier(), ApiKeys.load(write_api_keys(directory)))


@pytest.mark.parametrize("metadata", AMBIGUOUS)
def test_several_credentials_are_refused_as_ambiguous(
    tmp_path: Path, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(Unauthenticated, match="send exactly one") as refused:
        _authenticator(tmp_path).authenticate(metadata)

    assert refused.value.reason == "CREDENTIALS_AMBIGUOUS"


def test_one_credential_of_either_kind_is_accepted(tmp_path: Path) -> None:
    authenticator = _authenticator(tmp_path)

    assert authenticator.authenticate((("authorization", GOOD),)).name == "root"
    assert authenticator.authenticate((("x-api-key", API_KEY),)).name == "crm"


def test_other_metadata_does_not_count_as_a_credential(tmp_path: Path) -> None:
    metadata = (("user-agent", "x"), ("x-request-id", "1"), ("authorization", GOOD))

    assert _authenticator(tmp_path).authenticate(metadata).name == "root"


@pytest.mark.parametrize("metadata", AMBIGUOUS)
async def test_the_server_refuses_several_credentials(
    auth_server: RunningServer, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await auth_server.status_types.ListStatusTypes(LIST, metadata=metadata)

    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "exactly one" in (refused.value.details() or "")
    status = rpc_status.from_call(refused.value)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "CREDENTIALS_AMBIGUOUS"
