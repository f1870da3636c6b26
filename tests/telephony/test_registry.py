"""Finding adapters through entry points, configuring them, keeping secrets."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import ValidationError

from presence_server.engine.clock import ManualClock
from presence_server.settings import Settings, telephony_adapters
from presence_server.telephony import ENTRY_POINT_GROUP, AdapterRegistry, RegistryError
from presence_server.telephony.asterisk import AsteriskAdapter, AsteriskConfig
from presence_server.telephony.fake import FakeAdapter

SECRET = "a-secret-that-must-not-leak"


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_the_installed_adapters_are_found_through_entry_points() -> None:
    registry = AdapterRegistry()

    assert {"asterisk", "fake"} <= set(registry.names)


def test_two_adapters_with_one_name_are_refused() -> None:
    with pytest.raises(RegistryError, match="two telephony adapters are named 'fake'"):
        AdapterRegistry(
            [
                entry("fake", "presence_server.telephony.fake:PLUGIN"),
                entry("fake", "somewhere.else:PLUGIN"),
            ]
        )


def test_each_adapter_loaded_is_logged_once(
    caplog: pytest.LogCaptureFixture, clock: ManualClock
) -> None:
    caplog.set_level(logging.INFO, logger="presence_server.telephony.registry")
    registry = AdapterRegistry(
        [
            entry("fake", "presence_server.telephony.fake:PLUGIN"),
            entry("asterisk", "presence_server.telephony.asterisk:PLUGIN"),
        ]
    )

    registry.plugin("fake")
    registry.plugin("fake")
    [adapter] = registry.create(["fake"], clock)

    loaded = [r.getMessage() for r in caplog.records if "loaded" in r.getMessage()]
    assert loaded == [
        "telephony adapter fake loaded from presence_server.telephony.fake:PLUGIN"
    ]
    assert isinstance(adapter, FakeAdapter)
    assert adapter.name == "fake"


def test_an_unknown_or_broken_adapter_is_a_clear_error() -> None:
    registry = AdapterRegistry(
        [
            entry("broken", "presence_server.no_such_module:PLUGIN"),
            entry("wrong", "presence_server.telephony.desired:derive"),
        ]
    )

    with pytest.raises(RegistryError, match="no telephony adapter named 'nope'"):
        registry.plugin("nope")
    with pytest.raises(RegistryError, match="cannot be imported"):
        registry.plugin("broken")
    with pytest.raises(RegistryError, match="is not an adapter plugin"):
        registry.plugin("wrong")


def test_the_asterisk_adapter_is_configured_from_its_variables(
    monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_HOST", "pbx.example")
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_USERNAME", "presence")
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_SECRET", SECRET)
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_MEMBER_INTERFACE", "SIP/{ext}")

    [adapter] = AdapterRegistry().create(["asterisk"], clock)

    assert isinstance(adapter, AsteriskAdapter)
    assert adapter.config.host == "pbx.example"
    assert adapter.config.member_interface == "SIP/{ext}"
    assert adapter.config.secret.get_secret_value() == SECRET
    assert SECRET not in repr(adapter)
    assert SECRET not in repr(adapter.config)
    assert SECRET not in str(adapter.config.model_dump())


def test_the_secret_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ami-secret"
    path.write_text(SECRET + "\n")

    config = AsteriskConfig(username="presence", secret_file=path)

    assert config.secret.get_secret_value() == SECRET


def test_bad_adapter_settings_name_the_variable_but_never_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_USERNAME", "presence")
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_SECRET", SECRET)
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_PORT", "99999")
    monkeypatch.setenv("PRESENCE_TELEPHONY_ASTERISK_DEVICE", "PJSIP/1001")
    registry = AdapterRegistry()

    with pytest.raises(RegistryError) as caught:
        registry.config("asterisk")
    with pytest.raises(ValidationError) as raw:
        AsteriskConfig()

    message = str(caught.value)
    assert "PRESENCE_TELEPHONY_ASTERISK_PORT" in message
    assert "PRESENCE_TELEPHONY_ASTERISK_DEVICE" in message
    assert SECRET not in message
    assert SECRET not in str(raw.value)


def test_an_unreadable_secret_file_is_named_by_its_path(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot be read"):
        AsteriskConfig(username="presence", secret_file=tmp_path / "missing")


def test_a_missing_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="SECRET or SECRET_FILE is required"):
        AsteriskConfig(username="presence")


@pytest.mark.parametrize(
    ("given", "names"),
    [("", []), ("asterisk", ["asterisk"]), (" Asterisk , fake ", ["asterisk", "fake"])],
    ids=["none", "one", "two-spaced"],
)
def test_the_server_setting_lists_adapters(given: str, names: list[str]) -> None:
    settings = Settings(telephony_adapters=given)

    assert telephony_adapters(settings) == names


@pytest.mark.parametrize("given", ["asterisk,asterisk", "bad name"], ids=str)
def test_the_server_setting_refuses_bad_adapter_lists(given: str) -> None:
    with pytest.raises(ValidationError):
        Settings(telephony_adapters=given)
