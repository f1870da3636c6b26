"""FreePBX/Asterisk over AMI: ``PRESENCE_TELEPHONY_ADAPTERS=asterisk``.

See ``adapter`` for what is read and written, ``config`` for the settings
and ``ami`` for the AMI client.
"""

from __future__ import annotations

from typing import Any

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import AdapterPlugin
from presence_server.telephony.asterisk.adapter import AsteriskAdapter
from presence_server.telephony.asterisk.config import AsteriskConfig


class AsteriskPlugin:
    """The entry point of the Asterisk adapter."""

    config_model = AsteriskConfig

    def create(self, name: str, config: Any, clock: Clock) -> AsteriskAdapter:
        if not isinstance(config, AsteriskConfig):
            raise TypeError("the Asterisk adapter needs an AsteriskConfig")
        return AsteriskAdapter(name, config, clock)


PLUGIN: AdapterPlugin = AsteriskPlugin()

__all__ = ["PLUGIN", "AsteriskAdapter", "AsteriskConfig", "AsteriskPlugin"]
