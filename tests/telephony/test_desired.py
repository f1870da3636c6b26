"""What a status means on a PBX, and how observations compare. Pure."""

from __future__ import annotations

import dataclasses

import pytest

from presence_server.domain.agents import Agent
from presence_server.domain.status_types import (
    BUILT_IN_TYPES,
    SEEDED_TYPES,
    StatusKind,
    StatusType,
    TelephonyMapping,
)
from presence_server.telephony import Observed, Seat, derive, differences
from presence_server.telephony.desired import from_json, to_json

TYPES = {t.id: t for t in (*BUILT_IN_TYPES, *SEEDED_TYPES)}
ANN = Agent(
    id="ann",
    display_name="Ann",
    extension="1001",
    queues=("support", "sales"),
    mobile_number="+15550001001",
)


def status(status_id: str, **changes: object) -> StatusType:
    return dataclasses.replace(TYPES[status_id], **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status_type", "logged_in", "paused", "reason", "presence"),
    [
        (status("available"), True, False, "", "available"),
        (status("break"), True, True, "Break", "away"),
        (status("meeting"), False, False, "", "away"),
        (status("offline"), False, False, "", "unavailable"),
        (
            status(
                "lunch", telephony={"asterisk": TelephonyMapping(pause_reason="Food")}
            ),
            True,
            True,
            "Food",
            "away",
        ),
    ],
    ids=["available", "break-paused", "meeting-logged-out", "offline", "mapped-reason"],
)
def test_a_status_becomes_queue_login_pause_and_presence(
    status_type: StatusType, logged_in: bool, paused: bool, reason: str, presence: str
) -> None:
    desired = derive(ANN, status_type, "asterisk", TYPES)

    assert desired is not None
    state = desired.state
    assert (state.logged_in, state.paused, state.pause_reason) == (
        logged_in,
        paused,
        reason,
    )
    assert state.presence == presence
    assert state.presence_message == status_type.name
    assert desired.queues == (frozenset(ANN.queues) if logged_in else frozenset())


def test_the_mapping_of_another_adapter_is_ignored() -> None:
    mapped = status(
        "meeting",
        telephony={
            "3cx": TelephonyMapping(presence_profile="Away", do_not_disturb=True)
        },
    )

    desired = derive(ANN, mapped, "asterisk", TYPES)

    assert desired is not None
    assert desired.state.do_not_disturb is False
    assert desired.state.presence == "away"


def test_agents_without_an_extension_are_not_synchronized() -> None:
    assert (
        derive(dataclasses.replace(ANN, extension=""), TYPES["available"], "x") is None
    )


def test_an_archived_agent_is_logged_out_as_offline() -> None:
    archived = dataclasses.replace(ANN, archived=True)

    desired = derive(archived, TYPES["available"], "asterisk", TYPES)

    assert desired is not None
    assert desired.status_id == "offline"
    assert desired.state.logged_in is False


def test_a_deleted_status_counts_as_an_unnamed_unavailable_one() -> None:
    desired = derive(ANN, None, "asterisk", TYPES)

    assert desired is not None
    assert desired.status_kind is StatusKind.UNAVAILABLE
    assert desired.state.logged_in is False


def test_a_full_read_in_line_with_the_desired_state_has_no_difference() -> None:
    desired = derive(ANN, status("break"), "asterisk", TYPES)
    assert desired is not None
    observed = Observed(
        queues={"support": Seat(True, "Break"), "sales": Seat(True, "Break")},
        queues_complete=True,
        do_not_disturb=False,
        presence="away",
        presence_message="Break",
    )

    assert differences(desired, observed) == ()


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        (Observed(queues={"support": Seat(True, "Break")}), ()),
        (Observed(queues={"support": Seat(False)}), ("paused",)),
        (Observed(queues={"support": Seat(True, "Lunch")}), ("pause_reason",)),
        (Observed(queues={"support": None}), ("queues",)),
        (Observed(queues={"vip": Seat(True, "Break")}), ("queues",)),
        (
            Observed(queues={"support": Seat(True, "Break")}, queues_complete=True),
            ("queues",),
        ),
        (Observed(do_not_disturb=True), ("do_not_disturb",)),
        (Observed(presence="available"), ("presence",)),
        (Observed(), ()),
    ],
    ids=[
        "echo-of-one-queue",
        "unpaused",
        "other-reason",
        "removed",
        "unexpected-queue",
        "missing-queue-in-full-read",
        "dnd",
        "presence",
        "nothing",
    ],
)
def test_observations_differ_only_where_they_contradict(
    observed: Observed, expected: tuple[str, ...]
) -> None:
    desired = derive(ANN, status("break"), "asterisk", TYPES)
    assert desired is not None

    assert differences(desired, observed) == expected


def test_the_stored_form_round_trips() -> None:
    desired = derive(
        ANN,
        status(
            "lunch",
            ring_mobile=True,
            telephony={"a": TelephonyMapping(options={"from_phone": "true"})},
        ),
        "a",
        TYPES,
    )
    assert desired is not None

    assert from_json(to_json(desired)) == desired
