"""Who is calling, and how much they may do: identities, credentials, limits.

Nothing here knows gRPC or protobuf. ``presence_server.api.auth`` reads the
call's metadata, asks the ``Authenticator`` (``security.authenticator``)
who it is, checks the per-RPC policy (``presence_server.api.policy``) and
the limits of this package. The package itself exports only the light
parts, so that the catalog and the engine may read the current identity
without importing the settings.
"""

from __future__ import annotations

from .identity import Identity, Role, current_actor_name, current_identity
from .limits import RateLimiter, StreamCap

__all__ = [
    "Identity",
    "RateLimiter",
    "Role",
    "StreamCap",
    "current_actor_name",
    "current_identity",
]
