"""Storage: the database, the tables, their migrations and repositories.

``Database`` owns the engine and its sessions; ``migrate`` brings the schema
up to date. The repository modules (``storage.status_types``,
``storage.agents``) turn rows into domain objects inside a caller's session.
"""

from presence_server.storage.db import Database, normalize_url, take_lock
from presence_server.storage.migrate import current_revision, head_revision, migrate

__all__ = [
    "Database",
    "current_revision",
    "head_revision",
    "migrate",
    "normalize_url",
    "take_lock",
]
