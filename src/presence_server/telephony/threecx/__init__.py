"""3CX v20 over its XAPI and Call Control API: ``PRESENCE_TELEPHONY_ADAPTERS=3cx``.

See ``adapter`` for what is read and written, ``config`` for the settings
and ``client`` for the HTTP access and its token.
"""

from __future__ import annotations

from typing import Any

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import AdapterPlugin
from presence_server.telephony.threecx.adapter import ThreeCxAdapter
from presence_server.telephony.threecx.config import ThreeCxConfig


class ThreeCxPlugin:
    """The entry point of the 3CX adapter."""

    config_model = ThreeCxConfig

    def create(self, name: str, config: Any, clock: Clock) -> ThreeCxAdapter:
        if not isinstance(config, ThreeCxConfig):
            raise TypeError("the 3CX adapter needs a ThreeCxConfig")
        return ThreeCxAdapter(name, config, clock)


PLUGIN: AdapterPlugin = ThreeCxPlugin()

__all__ = ["PLUGIN", "ThreeCxAdapter", "ThreeCxConfig", "ThreeCxPlugin"]
