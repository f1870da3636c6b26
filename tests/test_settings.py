"""Settings: defaults, the environment, flags over the environment, bad values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from presence_server.settings import Settings, describe_error, parse_address


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PRESENCE_* variable from the developer's shell; cwd in tmp_path."""
    for name in list(os.environ):
        if name.startswith("PRESENCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_listen_on_loopback_with_sqlite_in_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = Settings()

    assert settings.listen_address == "127.0.0.1:50051"
    assert settings.data_dir == tmp_path.resolve() / "data"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/data/presence.db"
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert settings.metrics_address == "127.0.0.1:9464"
    assert settings.grace_seconds == 5


def test_reading_settings_creates_nothing(tmp_path: Path) -> None:
    Settings()

    assert not (tmp_path / "data").exists()


def test_environment_variables_set_every_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRESENCE_LISTEN_ADDRESS", "0.0.0.0:6000")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PRESENCE_DATABASE_URL", "postgresql://presence@db/presence")
    monkeypatch.setenv("PRESENCE_LOG_LEVEL", "debug")
    monkeypatch.setenv("PRESENCE_LOG_FORMAT", "JSON")
    monkeypatch.setenv("PRESENCE_METRICS_ADDRESS", "")
    monkeypatch.setenv("PRESENCE_GRACE_SECONDS", "2.5")

    settings = Settings()

    assert settings.listen_address == "0.0.0.0:6000"
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.database_url == "postgresql://presence@db/presence"
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings.metrics_address == ""
    assert settings.grace_seconds == 2.5


def test_values_given_directly_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESENCE_LISTEN_ADDRESS", "0.0.0.0:6000")

    settings = Settings(listen_address="127.0.0.1:7000")

    assert settings.listen_address == "127.0.0.1:7000"


def test_database_in_another_data_dir_follows_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")

    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'presence.db'}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("listen_address", "50051"),
        ("listen_address", "localhost:99999"),
        ("listen_address", "bad host:1"),
        ("metrics_address", "nowhere"),
        ("database_url", "mysql://db/presence"),
        ("database_url", "not a url"),
        ("database_url", "sqlite://"),
        ("log_level", "LOUD"),
        ("log_format", "xml"),
        ("grace_seconds", "-1"),
        ("grace_seconds", "soon"),
    ],
)
def test_bad_value_is_named_by_its_variable_and_flag(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**{field: value})

    message = describe_error(raised.value)
    assert message.startswith("invalid settings: ")
    assert f"PRESENCE_{field.upper()}" in message
    assert "--" + field.replace("_", "-") in message
    assert "\n" not in message


def test_a_database_password_is_not_echoed_in_errors() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(database_url="user:s3cret@db/presence")

    assert "s3cret" not in describe_error(raised.value)


def test_unknown_presence_variables_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESENCE_SERVER", "10.0.0.5:50051")  # presencectl's

    assert Settings().listen_address == "127.0.0.1:50051"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("[::1]:0", ("::1", 0)),
        (":9464", ("", 9464)),
        ("presence.example.com:443", ("presence.example.com", 443)),
    ],
)
def test_parse_address_splits_host_and_port(
    text: str, expected: tuple[str, int]
) -> None:
    assert parse_address(text) == expected
