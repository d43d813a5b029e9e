"""The status transition table: allowed moves, refusals, repeats and justifications."""

from __future__ import annotations

import pytest

from workflows.errors import InvalidTransition, JustificationRequired
from workflows.status import TRANSITIONS, ControlStatus, StatusMove, plan_move

S = ControlStatus
ALL_MOVES = [(a, b) for a in S for b in S if a is not b]


@pytest.mark.parametrize(("current", "target"), [m for m in ALL_MOVES if m[1] in TRANSITIONS[m[0]]])
def test_allowed_moves_are_planned(current: ControlStatus, target: ControlStatus) -> None:
    move = plan_move(current, target, note="because")
    assert move == StatusMove(current, target, "because")


@pytest.mark.parametrize(
    ("current", "target"), [m for m in ALL_MOVES if m[1] not in TRANSITIONS[m[0]]]
)
def test_impossible_moves_are_refused_with_the_way_out(
    current: ControlStatus, target: ControlStatus
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        plan_move(current, target, note="x")
    assert f"from {current.value} to {target.value}" in str(caught.value)
    assert caught.value.allowed == [s.value for s in S if s in TRANSITIONS[current]]


def test_the_table_forbids_reclassifying_closed_work() -> None:
    assert S.BLOCKED not in TRANSITIONS[S.DONE]
    assert S.DONE not in TRANSITIONS[S.NOT_APPLICABLE]
    assert TRANSITIONS[S.NOT_APPLICABLE] == {S.TODO}


@pytest.mark.parametrize("status", list(S))
def test_a_repeated_move_is_a_no_op(status: ControlStatus) -> None:
    assert plan_move(status, status) is None


@pytest.mark.parametrize("note", [None, "", "   "])
def test_not_applicable_needs_a_justification(note: str | None) -> None:
    with pytest.raises(JustificationRequired, match="needs a justification"):
        plan_move(S.TODO, S.NOT_APPLICABLE, note=note)


def test_justification_is_trimmed() -> None:
    move = plan_move(S.IN_PROGRESS, S.NOT_APPLICABLE, note="  open-weights only  ")
    assert move is not None and move.note == "open-weights only"


def test_every_status_can_reach_todo_again() -> None:
    for status in S:
        assert status is S.TODO or S.TODO in TRANSITIONS[status]
