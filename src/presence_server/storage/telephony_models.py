"""The telephony outbox: the latest desired PBX state per adapter and agent.

One row per (adapter, agent), rewritten in the same transaction as the
presence change it follows, so a committed status change always has its
desired telephony state stored beside it. Only the latest desired state is
kept: ``version`` grows with each new one, and ``synced_version`` is the
last version confirmed on the PBX. A row with ``version > synced_version``
still has to be pushed, also after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from presence_server.storage.models import Base, ordered_text


class TelephonyOutboxRow(Base):
    __tablename__ = "telephony_outbox"

    adapter: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ordered_text(128), primary_key=True)
    # telephony.desired.to_json
    desired: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(BigInteger)
    synced_version: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[datetime]
    synced_at: Mapped[datetime | None]
