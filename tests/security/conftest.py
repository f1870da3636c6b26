"""Certificates for the TLS tests, made once per test session.

``pki``: PEM files in a temporary directory (see ``tests.helpers.certs``): a
CA, a server certificate for 127.0.0.1 and localhost, a client certificate
from the same CA, and a client certificate from a foreign CA.
"""

from __future__ import annotations

import pytest

from tests.helpers.certs import Pki, write_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return write_pki(tmp_path_factory.mktemp("pki"))
