"""The client package's public surface: types, exports, examples, stubs."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from pathlib import Path

import presence_client
from presence_client import PresenceClient, messages
from presence_client.messages import Agent

from presence_server._proto.presence.v1 import presence_pb2 as server_presence_pb2
from tests.helpers.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "clients" / "python" / "examples"


def _mypy(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_public_api_and_examples_type_check_under_strict_mypy() -> None:
    checked = _mypy(
        Path(__file__).with_name("typecheck_public_api.py"),
        EXAMPLES / "agent_desktop.py",
        EXAMPLES / "supervisor_feed.py",
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_package_exports_every_documented_name_with_a_docstring() -> None:
    missing = [
        name for name in presence_client.__all__ if not hasattr(presence_client, name)
    ]
    undocumented = [
        name
        for name in presence_client.__all__
        if inspect.isclass(getattr(presence_client, name))
        or inspect.isfunction(getattr(presence_client, name))
        if not inspect.getdoc(getattr(presence_client, name))
    ]

    assert missing == []
    assert undocumented == []
    assert (Path(presence_client.__file__).parent / "py.typed").is_file()


def test_server_and_client_stubs_share_one_descriptor_pool() -> None:
    # Both copies register presence/v1/*.proto in the default pool; identical
    # files are accepted once, so both name the very same classes.
    client_status = messages.AgentStatus

    assert client_status is server_presence_pb2.AgentStatus
    assert messages.AgentStatus.DESCRIPTOR.file is server_presence_pb2.DESCRIPTOR


def test_agent_desktop_example_shows_the_upcoming_status_during_a_call(
    tmp_path: Path,
) -> None:
    with ServerProcess(tmp_path / "data") as server:
        server.wait_until_listening()
        demo = subprocess.run(
            [
                sys.executable,
                str(EXAMPLES / "agent_desktop.py"),
                "--server",
                server.address,
                "--agent",
                "demo-agent",
                "--create",
                "--demo",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        server.stop()
        if server.process.stdout is not None:
            server.process.stdout.close()

    assert demo.returncode == 0, demo.stderr
    assert "[demo-agent] now: On a call (chosen: Available) | upcoming: Lunch" in (
        demo.stdout
    )
    assert "[demo-agent] now: Lunch" in demo.stdout


# Every RPC of the services the client wraps, and where the wrapper has it.
WRAPPED: dict[str, dict[str, str]] = {
    "PresenceService": {
        "SetStatus": "set_status",
        "CancelUpcomingStatus": "cancel_upcoming_status",
        "GetPresence": "get_presence",
        "ListPresence": "list_presence",
        "StartActivity": "start_activity",
        "EndActivity": "end_activity",
        "StartShift": "start_shift",
        "EndShift": "end_shift",
        "Connect": "session",
        "OpenSession": "open_session",
        "KeepAlive": "keep_alive",
        "CloseSession": "close_session",
        "SubscribePresence": "subscribe",
    },
    "StatusTypeService": {
        f"{verb}StatusType": f"status_types.{verb.lower()}"
        for verb in ("Create", "Get", "Update", "Archive", "Unarchive", "Delete")
    }
    | {"ListStatusTypes": "status_types.list"},
    "AgentService": {
        f"{verb}Agent": f"agents.{verb.lower()}"
        for verb in ("Create", "Get", "Update", "Archive", "Unarchive", "Delete")
    }
    | {"ListAgents": "agents.list_page"},
    "ReportService": {
        "GetAgentReport": "reports.agent",
        "GetTeamReport": "reports.team",
        "GetAgentTimeline": "reports.timeline_page",
    },
    "SimulatedClockService": {"GetClock": "clock.now", "AdvanceClock": "clock.advance"},
}


def test_every_rpc_of_a_wrapped_service_has_a_client_method() -> None:
    from presence_client import proto

    modules = [
        proto.presence_pb2,
        proto.status_types_pb2,
        proto.agents_pb2,
        proto.reports_pb2,
        proto.simulation_pb2,
    ]
    services = {
        name: service
        for module in modules
        for name, service in module.DESCRIPTOR.services_by_name.items()
    }
    client = presence_client.PresenceClient("127.0.0.1:1")

    for service_name, methods in WRAPPED.items():
        rpcs = {m.name for m in services[service_name].methods}
        assert rpcs == set(methods), service_name
        for path in methods.values():
            target: object = client
            for part in path.split("."):
                target = getattr(target, part)
            assert callable(target), path


async def test_supervisor_feed_example_prints_the_board_then_each_change(
    tmp_path: Path,
) -> None:
    with ServerProcess(tmp_path / "data") as server:
        await asyncio.to_thread(server.wait_until_listening)
        async with PresenceClient(server.address) as client:
            await client.agents.create(Agent(id="feed-1", display_name="F", team="t"))
            feed = await asyncio.create_subprocess_exec(
                sys.executable,
                str(EXAMPLES / "supervisor_feed.py"),
                *("--server", server.address, "--team", "t", "--events", "3"),
                "--no-color",
                stdout=asyncio.subprocess.PIPE,
            )
            assert feed.stdout is not None
            async with asyncio.timeout(60):
                board = await feed.stdout.readline()
                await feed.stdout.readline()
                await client.set_status("feed-1", "available")
                await client.set_status("feed-1", "break")
                rest, _ = await feed.communicate()
        server.stop()
        if server.process.stdout is not None:
            server.process.stdout.close()

    assert feed.returncode == 0
    assert board.decode().startswith("--- 1 agents at revision ")
    lines = rest.decode().splitlines()
    assert len(lines) == 3
    assert all(" feed-1 " in line for line in lines)
    assert any("shift_started" in line for line in lines)
    assert any("Offline -> Available (after " in line for line in lines)
    assert "Available -> Break (after " in lines[-1]


async def test_supervisor_feed_example_says_when_it_loses_and_regains_the_server(
    tmp_path: Path, free_address: str
) -> None:
    data = tmp_path / "data"
    with ServerProcess(data, listen_address=free_address) as server:
        await asyncio.to_thread(server.wait_until_listening)
        feed = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLES / "supervisor_feed.py"),
            *("--server", free_address, "--team", "nobody", "--no-color"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert feed.stdout is not None
        try:
            async with asyncio.timeout(60):
                board = await feed.stdout.readline()
                assert await asyncio.to_thread(server.stop) == 0
                lost = await feed.stdout.readline()
                with ServerProcess(data, listen_address=free_address) as again:
                    await asyncio.to_thread(again.wait_until_listening)
                    back = await feed.stdout.readline()
                    again.stop()
        finally:
            feed.terminate()
            await feed.wait()
        for process in (server, again):
            if process.process.stdout is not None:
                process.process.stdout.close()

    assert board.decode().startswith("--- 0 agents at revision ")
    assert lost.decode().startswith("--- disconnected, reconnecting (")
    assert back.decode() == "--- reconnected\n"


def _demo(address: str, agent: str) -> subprocess.CompletedProcess[str]:
    """The agent desktop's demo, failing the test if it runs over a minute."""
    return subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "agent_desktop.py"),
            *("--server", address, "--agent", agent, "--create", "--demo"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_agent_desktop_demo_ends_when_a_step_changes_nothing(
    tmp_path: Path,
) -> None:
    with ServerProcess(tmp_path / "data") as server:
        await asyncio.to_thread(server.wait_until_listening)
        async with PresenceClient(server.address) as client:
            await client.agents.create(Agent(id="ready", display_name="R"))
            await client.set_status("ready", "available")

        demo = await asyncio.to_thread(_demo, server.address, "ready")
        server.stop()

    assert demo.returncode == 0, demo.stderr
    assert "[ready] now: Lunch" in demo.stdout


async def test_agent_desktop_demo_played_twice_refuses_lunch_and_ends_its_call(
    tmp_path: Path,
) -> None:
    with ServerProcess(tmp_path / "data") as server:
        await asyncio.to_thread(server.wait_until_listening)

        first = await asyncio.to_thread(_demo, server.address, "twice")
        second = await asyncio.to_thread(_demo, server.address, "twice")
        async with PresenceClient(server.address) as client:
            presence = await client.get_presence("twice")
            agent = await client.agents.get("twice")
        server.stop()

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert "  refused: " in second.stdout
    assert list(presence.activities) == []
    assert agent.team == "blue"


def _readme_snippet() -> str:
    """The quick-start program of clients/python/README.md, as written."""
    readme = (ROOT / "clients" / "python" / "README.md").read_text()
    return readme.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_quick_start_runs_on_a_fresh_server_twice(tmp_path: Path) -> None:
    snippet = tmp_path / "quick_start.py"
    with ServerProcess(tmp_path / "data") as server:
        server.wait_until_listening()
        snippet.write_text(_readme_snippet().replace("127.0.0.1:50051", server.address))
        runs = [
            subprocess.run(
                [sys.executable, str(snippet)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            for _ in range(2)
        ]
        server.stop()

    for run in runs:
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[:2] == ["Lunch", "Lunch"]
        assert lines[2].endswith(" 3 3")
