"""Planning a release: selection, order and due dates (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from control_catalog import Function, Kind, Priority, load_bundled
from workflows.errors import PlanningError
from workflows.planning import Selection, due_date_for, plan_release, release_slug, task_key

CATALOG = load_bundled("gpai-profile@1.2")


def _ids(selection: Selection) -> list[str]:
    return [t.control.id for t in plan_release(CATALOG, selection=selection)]


def test_default_plan_takes_all_72_in_profile_order() -> None:
    plan = plan_release(CATALOG)
    assert [t.position for t in plan] == list(range(1, 73))
    assert [t.control.id for t in plan] == [c.id for c in CATALOG.controls]
    assert all(t.due_date is None for t in plan)


def test_high_priority_takes_fewer() -> None:
    ids = _ids(Selection(priority=Priority.HIGH))
    assert 0 < len(ids) < 72
    assert all(CATALOG.get(i).priority is Priority.HIGH for i in ids)  # type: ignore[union-attr]


def test_functions_and_kinds_filter_together() -> None:
    ids = _ids(
        Selection(functions=frozenset({Function.MEASURE}), kinds=frozenset({Kind.RECURRING}))
    )
    assert ids and all(i.startswith("MS-") for i in ids)
    assert "MS-2.4" in ids and "MS-1.1" not in ids


def test_include_adds_and_exclude_removes() -> None:
    selection = Selection(
        priority=Priority.HIGH, include=frozenset({"gv-1.1"}), exclude=frozenset({"MG-4.1"})
    )
    ids = _ids(selection)
    assert ids[0] == "GV-1.1"
    assert "MG-4.1" not in ids


def test_unknown_ids_are_refused_by_name() -> None:
    with pytest.raises(PlanningError, match="gpai-profile@1.2 has no control GV-9.9, MX-1.1"):
        _ids(Selection(include=frozenset({"GV-9.9"}), exclude=frozenset({"MX-1.1"})))


def test_id_in_both_lists_is_refused() -> None:
    with pytest.raises(PlanningError, match="GV-1.1 both included and excluded"):
        _ids(Selection(include=frozenset({"GV-1.1"}), exclude=frozenset({"gv-1.1"})))


def test_a_selection_of_nothing_is_refused() -> None:
    with pytest.raises(PlanningError, match="matches no controls"):
        _ids(Selection(functions=frozenset({Function.GOVERN}), kinds=frozenset({Kind.PER_RELEASE})))


def test_due_dates_count_back_from_the_target_by_function() -> None:
    plan = plan_release(CATALOG, target_date=date(2026, 3, 1))
    due = {t.control.id: t.due_date for t in plan}
    assert due["MP-1.1"] == date(2026, 2, 1)  # MAP: 28 days before
    assert due["GV-1.1"] == date(2026, 2, 8)  # GOVERN: 21
    assert due["MS-1.1"] == date(2026, 2, 15)  # MEASURE: 14, across the short February
    assert due["MG-1.1"] == date(2026, 2, 22)  # MANAGE: 7


def test_a_control_offset_beats_its_function() -> None:
    control = CATALOG.get("MS-2.6")
    assert control is not None
    offsets = {"measure": 14, "MS-2.6": 30}
    assert due_date_for(control, date(2028, 3, 30), offsets) == date(2028, 2, 29)
    assert due_date_for(control, date(2028, 3, 30), {}) == date(2028, 3, 30)


@pytest.mark.parametrize(
    ("name", "version", "slug"),
    [
        ("Atlas", "2.0", "atlas-2.0"),
        ("Atlas Large ", "v2 beta", "atlas-large-v2-beta"),
        ("Él", "1", "el-1"),
    ],
)
def test_release_slugs(name: str, version: str, slug: str) -> None:
    assert release_slug(name, version) == slug


def test_empty_slug_is_refused() -> None:
    with pytest.raises(PlanningError, match="empty slug"):
        release_slug("!!!", "???")


def test_task_key_is_release_and_control() -> None:
    assert task_key("atlas-2.0", "GV-1.2") == "atlas-2.0:GV-1.2"


def test_selection_is_stored_as_sorted_plain_data() -> None:
    selection = Selection(
        priority=Priority.HIGH, functions=frozenset({Function.MAP, Function.GOVERN})
    )
    assert selection.to_json() == {
        "priority": "high",
        "functions": ["govern", "map"],
        "kinds": [],
        "include": [],
        "exclude": [],
    }
