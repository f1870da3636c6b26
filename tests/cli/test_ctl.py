"""``presencectl`` against a real ``presence-server`` process.

One server (a child process on a free port, SQLite in a temporary directory)
serves the whole module; each test works on ids of its own so the tests do
not depend on each other's order. Commands run in-process through typer's
``CliRunner``, and once through the installed console script.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from presence_server.cli.ctl import app
from tests.helpers.server import ServerProcess

SEEDED_NAMES = ("Available", "Offline", "Break", "Lunch", "Meeting", "Idle", "Away")
BUILT_IN_IDS = {"available", "offline", "call", "chat", "task", "interaction"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A ``presence-server`` process for the module, on a fresh SQLite file."""
    with ServerProcess(tmp_path_factory.mktemp("ctl") / "data") as process:
        process.wait_until_listening()
        yield process

    # The helper reads the child's output to its end but leaves the pipe open;
    # close it here so no ResourceWarning (an error in this suite) follows.
    if process.process.stdout is not None:
        process.process.stdout.close()


@pytest.fixture
def unreachable_address() -> Iterator[str]:
    """A loopback port that is bound but not listening: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def run(address: str, *args: str) -> Result:
    """``presencectl --server ADDRESS ARGS...``; fails on an unexpected exception."""
    result = CliRunner().invoke(app, ["--server", address, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ctl(server: ServerProcess, *args: str) -> Result:
    return run(server.address, *args)


def ok(server: ServerProcess, *args: str) -> Result:
    """Run a command that must succeed."""
    result = ctl(server, *args)
    assert result.exit_code == 0, result.output
    return result


def ok_json(server: ServerProcess, *args: str) -> Any:
    """Run a command that must succeed with ``--json``; its parsed output."""
    return json.loads(ok(server, "--json", *args).stdout)


def status_type_ids(server: ServerProcess, *args: str) -> list[str]:
    return [item["id"] for item in ok_json(server, "status-types", "list", *args)]


# --- status types: reading ---------------------------------------------------


def test_list_shows_built_ins_and_seeded_defaults_in_a_table(
    server: ServerProcess,
) -> None:
    break_color = ok_json(server, "status-types", "get", "break")["color"]

    result = ok(server, "status-types", "list")

    for name in SEEDED_NAMES:
        assert f" {name} " in result.stdout
    header = result.stdout.splitlines()[1]
    for column in ("id", "name", "color", "kind", "limit", "allowed min", "flags"):
        assert column in header
    # The color column shows a swatch, then the hex.
    assert f"██ {break_color}" in result.stdout
    assert result.stderr == ""


def test_json_list_is_an_array_of_status_types_with_built_in_flags(
    server: ServerProcess,
) -> None:
    listed = ok_json(server, "status-types", "list")

    assert isinstance(listed, list)
    by_name = {item["name"]: item for item in listed}
    assert set(SEEDED_NAMES) <= set(by_name)
    assert {item["id"] for item in listed if item["builtIn"]} >= BUILT_IN_IDS
    assert by_name["Break"]["builtIn"] is False
    assert by_name["Offline"]["kind"] == "STATUS_KIND_OFFLINE"
    # Every field is present, even at its default, so scripts can rely on keys.
    assert "limitPerShift" in by_name["Available"]


def test_list_filters_by_kind(server: ServerProcess) -> None:
    listed = ok_json(server, "status-types", "list", "--kind", "system")

    assert {item["kind"] for item in listed} == {"STATUS_KIND_SYSTEM"}
    assert "call" in {item["id"] for item in listed}


def test_json_flag_after_the_command_works_like_the_global_one(
    server: ServerProcess,
) -> None:
    after = json.loads(ok(server, "status-types", "get", "break", "--json").stdout)
    before = ok_json(server, "status-types", "get", "break")

    assert after == before
    assert after["name"] == "Break"


def test_get_shows_every_field_of_one_status_type(server: ServerProcess) -> None:
    result = ok(server, "status-types", "get", "lunch")

    assert "Lunch" in result.stdout
    for label in ("keep on disconnect", "can end shift", "queue login", "etag"):
        assert label in result.stdout


# --- status types: changing --------------------------------------------------


def test_status_type_round_trip_create_update_archive_unarchive_delete(
    server: ServerProcess,
) -> None:
    created = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "coaching",
        "--name",
        "Coaching",
        "--color",
        "#8E24AA",
        "--kind",
        "unavailable",
        "--limit",
        "2",
        "--allowed-minutes",
        "30",
        "--can-end-shift",
        "--sort-order",
        "70",
    )
    assert created["id"] == "coaching"
    assert (created["limitPerShift"], created["allowedMinutes"]) == (2, 30)
    assert created["canEndShift"] is True
    assert created["sortOrder"] == 70

    updated = ok_json(
        server, "status-types", "update", "coaching", "--name", "1:1 coaching"
    )
    assert updated["name"] == "1:1 coaching"
    assert updated["etag"] != created["etag"]

    archived = ok(server, "status-types", "archive", "coaching")
    assert archived.stdout.strip() == "archived status type 'coaching'"
    assert "coaching" not in status_type_ids(server)
    assert "coaching" in status_type_ids(server, "--all")

    ok(server, "status-types", "unarchive", "coaching")
    assert "coaching" in status_type_ids(server)

    deleted = ok(server, "status-types", "delete", "coaching")
    assert deleted.stdout.strip() == "deleted status type 'coaching'"
    assert "coaching" not in status_type_ids(server, "--include-archived")


def test_create_sends_optional_flags_only_when_given(server: ServerProcess) -> None:
    # queue_login defaults to true for AVAILABLE types when left out, so a CLI
    # that always sent false would turn it off here.
    defaulted = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "ready-default",
        "--name",
        "Ready (default)",
        "--color",
        "#43A047",
        "--kind",
        "available",
    )
    turned_off = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "ready-no-queues",
        "--name",
        "Ready (no queues)",
        "--color",
        "#43A047",
        "--kind",
        "available",
        "--no-queue-login",
    )

    assert defaulted["queueLogin"] is True
    assert turned_off["queueLogin"] is False
    assert turned_off["externalCalls"] is True


def test_update_changes_only_the_given_fields(server: ServerProcess) -> None:
    before = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "training",
        "--name",
        "Training",
        "--color",
        "#00897B",
        "--kind",
        "unavailable",
        "--limit",
        "4",
        "--allowed-minutes",
        "45",
        "--keep-on-disconnect",
        "--ring-mobile",
        "--telephony",
        "3cx:presence_profile=Away",
    )

    after = ok_json(server, "status-types", "update", "training", "--color", "#004D40")

    assert after["color"] == "#004D40"
    untouched = {"updateTime", "etag", "color"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }


def test_update_turns_a_flag_off_without_touching_the_others(
    server: ServerProcess,
) -> None:
    before = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "outbound",
        "--name",
        "Outbound",
        "--color",
        "#3949AB",
        "--kind",
        "available",
    )

    after = ok_json(server, "status-types", "update", "outbound", "--no-queue-login")

    assert (before["queueLogin"], after["queueLogin"]) == (True, False)
    assert after["externalCalls"] == before["externalCalls"] is True
    assert after["selectable"] == before["selectable"] is True


def test_telephony_mappings_are_sent_replaced_and_cleared(
    server: ServerProcess,
) -> None:
    created = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "dnd",
        "--name",
        "Do not disturb",
        "--color",
        "#B71C1C",
        "--kind",
        "unavailable",
        "--telephony",
        "3cx:presence_profile=Do Not Disturb",
        "--telephony",
        "asterisk:pause-reason=DND",
        "--telephony",
        "asterisk:do_not_disturb=true",
        "--telephony",
        "asterisk:device_state=BUSY",
    )
    assert created["telephony"]["3cx"]["presenceProfile"] == "Do Not Disturb"
    asterisk = created["telephony"]["asterisk"]
    assert asterisk["pauseReason"] == "DND"
    assert asterisk["doNotDisturb"] is True
    assert asterisk["options"] == {"device_state": "BUSY"}

    replaced = ok_json(
        server,
        "status-types",
        "update",
        "dnd",
        "--telephony",
        "3cx:presence_profile=Away",
    )
    assert set(replaced["telephony"]) == {"3cx"}

    cleared = ok_json(server, "status-types", "update", "dnd", "--clear-telephony")
    assert cleared["telephony"] == {}


def test_update_with_a_stale_etag_is_refused_and_changes_nothing(
    server: ServerProcess,
) -> None:
    created = ok_json(
        server,
        "status-types",
        "create",
        "--id",
        "backoffice",
        "--name",
        "Back office",
        "--color",
        "#5D4037",
        "--kind",
        "unavailable",
    )
    ok(server, "status-types", "update", "backoffice", "--limit", "5")

    result = ctl(
        server,
        "status-types",
        "update",
        "backoffice",
        "--limit",
        "9",
        "--etag",
        created["etag"],
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ABORTED: ")
    assert "  precondition ETAG on status_type/backoffice: " in result.stderr
    assert ok_json(server, "status-types", "get", "backoffice")["limitPerShift"] == 5


# --- status types: refusals --------------------------------------------------


def test_bad_color_exits_1_with_the_field_violation_on_stderr(
    server: ServerProcess,
) -> None:
    result = ctl(
        server,
        "status-types",
        "create",
        "--name",
        "Crimson break",
        "--color",
        "crimson",
        "--kind",
        "unavailable",
    )

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: INVALID_ARGUMENT: ")
    assert any(
        line.startswith("  status_type.color: must be #RRGGBB") for line in lines
    )
    assert "Traceback" not in result.output
    assert result.stdout == ""
    names = {item["name"] for item in ok_json(server, "status-types", "list", "--all")}
    assert "Crimson break" not in names


def test_unknown_status_type_exits_1_with_not_found(server: ServerProcess) -> None:
    result = ctl(server, "status-types", "get", "no-such-type")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: NOT_FOUND: status type 'no-such-type' does not exist"
    assert "  reason: STATUS_TYPE_NOT_FOUND (status_type=no-such-type)" in lines


def test_archiving_a_built_in_shows_the_unmet_precondition(
    server: ServerProcess,
) -> None:
    result = ctl(server, "status-types", "archive", "available")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: FAILED_PRECONDITION: ")
    assert "  precondition BUILT_IN on status_type/available: " in result.stderr


def test_several_field_violations_are_listed_one_per_line(
    server: ServerProcess,
) -> None:
    result = ctl(
        server, "status-types", "update", "break", "--limit", "5000", "--name", " "
    )

    assert result.exit_code == 1
    violations = [
        line for line in result.stderr.splitlines() if line.startswith("  status_type.")
    ]
    assert len(violations) == 2
    assert ok_json(server, "status-types", "get", "break")["limitPerShift"] == 3


# --- agents -------------------------------------------------------------------


def test_agent_round_trip_create_update_archive_unarchive_delete(
    server: ServerProcess,
) -> None:
    created = ok_json(
        server,
        "agents",
        "create",
        "alice",
        "--name",
        "Alice Cohen",
        "--team",
        "north",
        "--extension",
        "1001",
        "--mobile",
        "+972541234567",
        "--queue",
        "sales",
        "--queue",
        "support",
        "--role",
        "supervisor",
    )
    assert created["queues"] == ["sales", "support"]
    assert created["role"] == "ROLE_SUPERVISOR"

    replaced = ok_json(server, "agents", "update", "alice", "--queue", "billing")
    assert replaced["queues"] == ["billing"]
    assert replaced["mobileNumber"] == "+972541234567"
    assert replaced["team"] == "north"

    cleared = ok_json(server, "agents", "update", "alice", "--clear-queues")
    assert cleared["queues"] == []
    assert cleared["extension"] == "1001"

    ok(server, "agents", "archive", "alice")
    assert "alice" not in {a["id"] for a in ok_json(server, "agents", "list")}
    archived = ok_json(server, "agents", "list", "--all")
    assert {a["id"]: a["archived"] for a in archived}["alice"] is True

    ok(server, "agents", "unarchive", "alice")
    deleted = ok(server, "agents", "delete", "alice")
    assert deleted.stdout.strip() == "deleted agent 'alice'"
    assert ctl(server, "agents", "get", "alice").exit_code == 1


def test_agent_list_follows_every_page_and_filters_by_team(
    server: ServerProcess,
) -> None:
    ids = [f"paged-{n}" for n in range(5)]
    for agent_id in ids:
        ok(server, "agents", "create", agent_id, "--name", agent_id, "--team", "paged")
    ok(server, "agents", "create", "elsewhere", "--name", "Elsewhere", "--team", "x")

    listed = ok_json(server, "agents", "list", "--team", "paged", "--page-size", "2")
    table = ok(server, "agents", "list", "--team", "paged", "--page-size", "2")

    assert [a["id"] for a in listed] == ids
    for agent_id in ids:
        assert agent_id in table.stdout
    assert "elsewhere" not in table.stdout


def test_bad_mobile_number_exits_1_with_the_field_violation(
    server: ServerProcess,
) -> None:
    result = ctl(server, "agents", "create", "bob", "--name", "Bob", "--mobile", "054")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: INVALID_ARGUMENT: ")
    assert "\n  agent.mobile_number: " in result.stderr
    assert ctl(server, "agents", "get", "bob").exit_code == 1


def test_unknown_agent_exits_1_with_not_found(server: ServerProcess) -> None:
    result = ctl(server, "agents", "archive", "nobody")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: NOT_FOUND: agent 'nobody' does not exist"
    )


# --- connection and usage ------------------------------------------------------


def test_unreachable_server_exits_1_with_a_clear_message(
    unreachable_address: str,
) -> None:
    result = run(unreachable_address, "status-types", "list")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: cannot reach presence-server at {unreachable_address} (is it running?)"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["status-types", "list", "--bogus"], id="unknown-option"),
        pytest.param(["status-types", "list", "--kind", "sleepy"], id="unknown-kind"),
        pytest.param(
            ["status-types", "create", "--color", "#000000", "--kind", "system"],
            id="missing-name",
        ),
        pytest.param(["status-types", "update", "break"], id="nothing-to-update"),
        pytest.param(
            ["status-types", "update", "break", "--telephony", "asterisk"],
            id="malformed-telephony",
        ),
        pytest.param(
            ["status-types", "update", "break", "--limit", "-1"], id="negative-limit"
        ),
        pytest.param(
            ["agents", "update", "x", "--queue", "q", "--clear-queues"],
            id="queue-and-clear-queues",
        ),
        pytest.param(["agents", "create", "x", "--role", "boss"], id="unknown-role"),
        pytest.param(["--timeout", "0", "agents", "list"], id="zero-timeout"),
    ],
)
def test_usage_errors_exit_2_without_calling_the_server(
    unreachable_address: str, args: list[str]
) -> None:
    # Against an address nothing answers on: a call would exit 1, not 2.
    result = run(unreachable_address, *args)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_installed_entry_point_reads_the_server_from_the_environment(
    server: ServerProcess,
) -> None:
    command = Path(sys.executable).with_name("presencectl")
    env = {**os.environ, "PRESENCE_SERVER": server.address}

    completed = subprocess.run(
        [str(command), "status-types", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    names = {item["name"] for item in json.loads(completed.stdout)}
    assert set(SEEDED_NAMES) <= names
