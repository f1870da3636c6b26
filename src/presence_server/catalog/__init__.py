"""Administration of status types and agents: validation and storage."""

from presence_server.catalog.service import Catalog, Page

__all__ = ["Catalog", "Page"]
