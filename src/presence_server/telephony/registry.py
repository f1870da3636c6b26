"""Finding adapter plugins through their entry points.

A distribution offers an adapter by declaring an entry point in the group
``presence_server.telephony_adapters``::

    [project.entry-points."presence_server.telephony_adapters"]
    asterisk = "presence_server.telephony.asterisk:PLUGIN"

The entry point's name is the adapter's name. Two entry points with the same
name are refused (which one would win would depend on install order), and
so is an object that is not an ``AdapterPlugin``. Only the adapters a
server enables are imported; each one loaded gets one INFO line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import ValidationError

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import (
    ENTRY_POINT_GROUP,
    AdapterPlugin,
    TelephonyAdapter,
)

logger = logging.getLogger(__name__)

ENV_PREFIX = "PRESENCE_TELEPHONY_"

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class RegistryError(Exception):
    """The adapters cannot be set up as configured; an operator must act."""


def env_prefix(name: str) -> str:
    """``PRESENCE_TELEPHONY_ASTERISK_`` for the adapter ``asterisk``."""
    return ENV_PREFIX + name.upper().replace("-", "_") + "_"


class AdapterRegistry:
    """The adapter plugins installed, by name.

    Args:
        found: the entry points to consider; by default every installed one
            of ``ENTRY_POINT_GROUP``.

    Raises:
        RegistryError: two entry points share a name, or a name is not
            1-64 lower-case letters, digits, '-' or '_'.
    """

    def __init__(self, found: Iterable[EntryPoint] | None = None) -> None:
        if found is None:
            found = entry_points(group=ENTRY_POINT_GROUP)
        self._entry_points: dict[str, EntryPoint] = {}
        for entry in found:
            if not _NAME.fullmatch(entry.name):
                raise RegistryError(
                    f"telephony adapter name {entry.name!r} ({entry.value}) must be "
                    "lower-case letters, digits, '-' or '_'"
                )
            other = self._entry_points.get(entry.name)
            if other is not None:
                raise RegistryError(
                    f"two telephony adapters are named {entry.name!r}: "
                    f"{other.value} and {entry.value}; uninstall one of them"
                )
            self._entry_points[entry.name] = entry
        self._loaded: dict[str, AdapterPlugin] = {}

    @property
    def names(self) -> list[str]:
        """Every installed adapter name, sorted."""
        return sorted(self._entry_points)

    def plugin(self, name: str) -> AdapterPlugin:
        """The plugin named ``name``, imported on first use."""
        if name in self._loaded:
            return self._loaded[name]
        entry = self._entry_points.get(name)
        if entry is None:
            known = ", ".join(self.names) or "none"
            raise RegistryError(
                f"no telephony adapter named {name!r} is installed (installed: {known})"
            )
        try:
            plugin = entry.load()
        except Exception as error:
            raise RegistryError(
                f"telephony adapter {name!r} ({entry.value}) cannot be imported: "
                f"{type(error).__name__}: {error}"
            ) from error
        if not isinstance(plugin, AdapterPlugin):
            raise RegistryError(
                f"telephony adapter {name!r} ({entry.value}) is not an adapter "
                "plugin: it needs a config_model and a create(name, config, clock)"
            )
        self._loaded[name] = plugin
        logger.info("telephony adapter %s loaded from %s", name, entry.value)
        return plugin

    def config(self, name: str, **overrides: Any) -> Any:
        """The adapter's settings from its ``PRESENCE_TELEPHONY_<NAME>_*``
        variables (``overrides`` win). Errors name the variables, never a
        value."""
        model = self.plugin(name).config_model
        try:
            return model(_env_prefix=env_prefix(name), **overrides)
        except ValidationError as error:
            raise RegistryError(_describe(name, error)) from None

    def create(self, names: Sequence[str], clock: Clock) -> list[TelephonyAdapter]:
        """New adapters for ``names``, each configured from the environment."""
        if len(set(names)) != len(names):
            raise RegistryError(f"a telephony adapter is enabled twice: {names}")
        return [self.plugin(n).create(n, self.config(n), clock) for n in names]


def _describe(name: str, error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = str(problem["msg"]).removeprefix("Value error, ")
        variable = env_prefix(name) + field.upper() if field else env_prefix(name)
        parts.append(f"{variable}: {message}")
    return f"invalid settings of telephony adapter {name!r}: " + "; ".join(parts)
