"""``presence-server`` as a real process: start, stop, restart, share a file.

Only what needs a process is here (signals, exit codes, the console script,
two processes on one SQLite file); the API itself is tested in-process.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    common_pb2,
    status_types_pb2,
    status_types_pb2_grpc,
)
from presence_server.storage import head_revision
from tests.helpers.server import ServerProcess

# A clean stop must take well under this; grace is 1 s in ServerProcess.
STOP_WITHIN_SECONDS = 5.0


def create_status_type(channel: grpc.Channel, type_id: str) -> None:
    status_types_pb2_grpc.StatusTypeServiceStub(channel).CreateStatusType(
        status_types_pb2.CreateStatusTypeRequest(
            status_type=status_types_pb2.StatusType(
                name=type_id.title(),
                color="#336699",
                kind=common_pb2.STATUS_KIND_UNAVAILABLE,
            ),
            status_type_id=type_id,
        ),
        timeout=10,
    )


def create_agent(channel: grpc.Channel, agent_id: str) -> None:
    agents_pb2_grpc.AgentServiceStub(channel).CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id=agent_id, display_name=agent_id.title())
        ),
        timeout=10,
    )


def status_type_ids(channel: grpc.Channel) -> set[str]:
    reply = status_types_pb2_grpc.StatusTypeServiceStub(channel).ListStatusTypes(
        status_types_pb2.ListStatusTypesRequest(include_archived=True), timeout=10
    )
    return {t.id for t in reply.status_types}


def agent_ids(channel: grpc.Channel) -> set[str]:
    reply = agents_pb2_grpc.AgentServiceStub(channel).ListAgents(
        agents_pb2.ListAgentsRequest(include_archived=True), timeout=10
    )
    return {a.id for a in reply.agents}


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name
)
def test_starts_says_where_it_listens_and_stops_cleanly_on_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    data_dir = tmp_path / "data"

    with ServerProcess(data_dir) as process:
        port = process.wait_until_listening()
        assert "available" in status_type_ids(process.channel())

        started = time.monotonic()
        process.send(signum)
        code = process.wait(STOP_WITHIN_SECONDS * 2)
        elapsed = time.monotonic() - started

    assert code == 0, process.output
    assert elapsed < STOP_WITHIN_SECONDS
    assert (data_dir / "presence.db").exists()
    [listening] = [line for line in process.lines if "listening on" in line]
    assert " INFO " in listening
    assert f"listening on 127.0.0.1:{port}, plaintext, database sqlite" in listening
    assert str(data_dir / "presence.db") in listening
    assert "Traceback" not in process.output


def test_restart_keeps_status_types_and_agents(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess(data_dir) as first:
        first.wait_until_listening()
        create_status_type(first.channel(), "coffee")
        create_agent(first.channel(), "alice")
        assert first.stop() == 0

    with ServerProcess(data_dir) as second:
        second.wait_until_listening()
        types, agents = status_type_ids(second.channel()), agent_ids(second.channel())
        assert second.stop() == 0

    assert "coffee" in types
    assert agents == {"alice"}


def test_two_processes_share_one_sqlite_file_without_corrupting_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"

    with ServerProcess(data_dir) as one, ServerProcess(data_dir) as two:
        one.wait_until_listening()
        two.wait_until_listening()
        channels = {"one": one.channel(), "two": two.channel()}

        # Both write at the same time, interleaving on the one file.
        def write(name: str) -> None:
            for n in range(10):
                create_agent(channels[name], f"{name}-{n}")
            create_status_type(channels[name], f"type-{name}")

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(write, channels))

        seen_by_one = agent_ids(channels["one"])
        seen_by_two = agent_ids(channels["two"])
        types_by_two = status_type_ids(channels["two"])
        codes = (one.stop(), two.stop())

    expected = {f"{name}-{n}" for name in channels for n in range(10)}
    assert seen_by_one == seen_by_two == expected
    assert {"type-one", "type-two"} <= types_by_two
    assert codes == (0, 0), one.output + two.output
    with sqlite3.connect(data_dir / "presence.db") as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_migrate_upgrades_the_schema_prints_the_revision_and_exits(
    tmp_path: Path,
) -> None:
    process = ServerProcess(tmp_path / "data", args=["migrate"])

    code = process.run()

    assert code == 0, process.output
    assert f"schema revision {head_revision()}" in process.output
    assert (tmp_path / "data" / "presence.db").exists()
    assert "listening on" not in process.output


def test_bad_setting_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    process = ServerProcess(
        tmp_path / "data", env={"PRESENCE_LISTEN_ADDRESS": "no-port-here"}
    )

    code = process.run()

    assert code == 2
    assert process.lines == [
        "presence-server: invalid settings: PRESENCE_LISTEN_ADDRESS "
        "(--listen-address): 'no-port-here' is not HOST:PORT (like 127.0.0.1:50051 "
        "or [::1]:50051)"
    ]
    assert not (tmp_path / "data").exists()


def test_bad_flag_value_exits_2_naming_the_flag(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data", args=["serve", "--log-format", "xml"])

    code = process.run()

    assert code == 2
    assert len(process.lines) == 1
    assert "--log-format" in process.lines[0]


def test_port_in_use_exits_1_saying_so(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "one") as first:
        port = first.wait_until_listening()
        second = ServerProcess(tmp_path / "two", listen_address=f"127.0.0.1:{port}")

        code = second.run()

    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in second.output
    assert "Traceback" not in second.output


def test_json_format_from_a_flag_over_the_environment_writes_json_lines(
    tmp_path: Path,
) -> None:
    with ServerProcess(
        tmp_path / "data",
        args=["--log-format", "json"],
        env={"PRESENCE_LOG_FORMAT": "text"},
    ) as process:
        process.wait_until_listening()
        assert process.stop() == 0

    entries = [json.loads(line) for line in process.lines]
    assert entries
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
    [listening] = [e for e in entries if e["message"].startswith("listening on")]
    assert listening["level"] == "INFO"
    assert listening["logger"] == "presence_server.app"
