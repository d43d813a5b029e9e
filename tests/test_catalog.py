"""The bundled catalog's content, and how the loader reports bad catalog files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from control_catalog import (
    CatalogError,
    Framework,
    Function,
    Kind,
    Priority,
    bundled_refs,
    load_bundled,
    load_catalog,
    parse_catalog,
    resolve_catalog,
)

GOOD = """
name: mini
version: "1"
title: A two-control catalog
categories:
  - {id: GV-1, function: govern, title: Policies}
  - {id: MG-4, function: manage, title: Monitoring}
controls:
  - id: GV-1.1
    function: govern
    category: GV-1
    title: Know your legal obligations
    guidance: Keep a register.
    priority_source: "unverified: test"
    kind: organizational
    cadence: annual
  - id: MG-4.1
    function: manage
    category: MG-4
    title: Monitor after deployment
    guidance: Watch production.
    priority: high
    priority_source: "unverified: test"
    kind: recurring
    cadence: "cron: 0 9 1 * *"
"""


def _edited(**changes: object) -> str:
    """GOOD with fields of the second control replaced."""
    data = yaml.safe_load(GOOD)
    data["controls"][1].update(changes)
    return yaml.safe_dump(data)


def _problems(text: str) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, source="mine.yaml")
    return [str(p) for p in caught.value.problems]


def test_bundled_catalog_has_all_72_subcategories_in_19_categories() -> None:
    catalog = load_bundled("gpai-profile@1.2")
    per_function = Counter(c.function for c in catalog.controls)
    assert len(catalog.controls) == 72
    assert per_function == {
        Function.GOVERN: 19,
        Function.MAP: 18,
        Function.MEASURE: 22,
        Function.MANAGE: 13,
    }
    assert len(catalog.categories) == 19
    assert {c.category for c in catalog.controls} == {c.id for c in catalog.categories}
    assert len({c.id for c in catalog.controls}) == 72


def test_bundled_catalog_is_in_profile_order() -> None:
    ids = [c.id for c in load_bundled("gpai-profile@1.2").controls]
    assert ids[:3] == ["GV-1.1", "GV-1.2", "GV-1.3"]
    assert ids.index("MS-2.9") < ids.index("MS-2.10") < ids.index("MS-2.13") < ids.index("MS-3.1")
    assert ids[-1] == "MG-4.3"


def test_bundled_priorities_say_they_are_unverified() -> None:
    catalog = load_bundled("gpai-profile@1.2")
    high = {c.id for c in catalog.controls if c.priority is Priority.HIGH}
    assert {"MP-1.1", "MS-1.1", "MG-2.4", "MG-4.1"} <= high
    for control in catalog.controls:
        assert not control.priority_verified
        assert control.priority_source.startswith("unverified")


def test_bundled_kinds_and_cadences() -> None:
    catalog = load_bundled("gpai-profile@1.2")
    kinds = Counter(c.kind for c in catalog.controls)
    assert kinds[Kind.PER_RELEASE] + kinds[Kind.ORGANIZATIONAL] + kinds[Kind.EVENT] > 0
    assert all(c.cadence for c in catalog.controls if c.kind is Kind.RECURRING)
    monitoring = catalog.get("MG-4.1")
    assert monitoring is not None
    assert monitoring.kind is Kind.RECURRING and monitoring.cadence == "monthly"


def test_bundled_crosswalks_follow_the_sources() -> None:
    catalog = load_bundled("gpai-profile@1.2")
    gv11, mg41 = catalog.get("GV-1.1"), catalog.get("MG-4.1")
    assert gv11 is not None and mg41 is not None
    assert gv11.crosswalks[Framework.ISO_42001] == ("4.1", "6.2", "B.2.2", "B.2.4")
    assert {"Art. 72", "Art. 73"} <= set(mg41.crosswalks[Framework.EU_AI_ACT])
    assert set(catalog.crosswalk_sources) == set(Framework)


def test_every_control_has_our_guidance() -> None:
    for control in load_bundled("gpai-profile@1.2").controls:
        assert len(control.guidance.split()) >= 25, control.id


def test_bundled_refs_match_file_contents() -> None:
    for ref in bundled_refs():
        assert load_bundled(ref).ref == ref


def test_a_user_catalog_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    catalog = resolve_catalog(str(path))
    assert catalog.ref == "mini@1"
    assert [c.id for c in catalog.controls] == ["GV-1.1", "MG-4.1"]


def test_resolve_by_name_picks_the_bundled_catalog() -> None:
    assert resolve_catalog("gpai-profile").ref == "gpai-profile@1.2"
    assert resolve_catalog(None).ref == "gpai-profile@1.2"


def test_duplicate_id_and_unknown_function_are_both_named() -> None:
    data = yaml.safe_load(GOOD)
    data["controls"][1].update(id="GV-1.1", category="GV-1", function="gouvern")
    data["controls"].append(dict(data["controls"][0]))
    problems = _problems(yaml.safe_dump(data))
    joined = "\n".join(problems)
    assert "mine.yaml: controls[1] GV-1.1: function" in joined
    assert "'gouvern'" in joined
    assert (
        "mine.yaml: controls[2] GV-1.1: id: duplicate id GV-1.1, first at controls[0] GV-1.1"
        in joined
    )


def test_every_problem_is_reported_not_just_the_first() -> None:
    data = yaml.safe_load(GOOD)
    data["controls"][0]["kind"] = "sometimes"
    data["controls"][1]["cadence"] = "fortnightly"
    problems = _problems(yaml.safe_dump(data))
    assert any("controls[0] GV-1.1: kind" in p for p in problems)
    assert any("controls[1] MG-4.1: cadence: unknown cadence 'fortnightly'" in p for p in problems)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"cadence": "cron: 0 9 * *"}, "must have 5 fields"),
        ({"cadence": "cron: 0 25 * * *"}, "bad cron expression"),
        ({"cadence": None}, "a recurring control needs a cadence"),
        ({"category": "MG-9", "id": "MG-9.1"}, "unknown category MG-9"),
        ({"id": "MG-4.1x"}, "id: String should match pattern"),
        ({"category": "GV-1", "id": "GV-1.2"}, "category GV-1 is not in function manage"),
        ({"priority": "urgent"}, "priority"),
        ({"title": ""}, "title"),
        ({"guidance": None}, "guidance"),
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_fields_name_entry_and_field(changes: dict[str, object], expected: str) -> None:
    problems = _problems(_edited(**changes))
    assert any(p.startswith("mine.yaml: controls[1]") and expected in p for p in problems), problems


def test_function_must_match_declared_category() -> None:
    data = yaml.safe_load(GOOD)
    data["categories"][1]["function"] = "measure"
    data["categories"][1]["id"] = "MS-4"
    problems = _problems(yaml.safe_dump(data))
    assert any("controls[1] MG-4.1: category: unknown category MG-4" in p for p in problems)


def test_header_problems_are_reported() -> None:
    data = yaml.safe_load(GOOD)
    data["name"] = "Bad Name"
    del data["controls"]
    problems = _problems(yaml.safe_dump(data))
    assert any("catalog: name" in p for p in problems)
    assert any("catalog: controls: expected a non-empty list" in p for p in problems)


def test_yaml_syntax_error_gives_the_line() -> None:
    problems = _problems("name: x\ncontrols: [\n  - a: b\n")
    assert len(problems) == 1 and problems[0].startswith("mine.yaml: line ")


def test_top_level_must_be_a_mapping() -> None:
    assert _problems("- just\n- a list\n") == ["mine.yaml: expected a mapping at the top level"]


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="No such file"):
        load_catalog(tmp_path / "absent.yaml")


def test_unknown_bundled_ref_lists_known_ones() -> None:
    with pytest.raises(CatalogError, match="known: gpai-profile@1.2"):
        load_bundled("gpai-profile@9.9")


@pytest.mark.parametrize(
    ("expression", "weekday"),
    [("0 9 * * 1", "Mon"), ("0 9 * * 0", "Sun"), ("0 9 * * 7", "Sun"), ("0 9 * * 5", "Fri")],
)
def test_cron_weekdays_follow_standard_cron(expression: str, weekday: str) -> None:
    from datetime import UTC, datetime

    from control_catalog.cadence import cron_trigger

    fire = cron_trigger(expression, "UTC").get_next_fire_time(
        None, datetime(2026, 11, 21, tzinfo=UTC)
    )
    assert fire is not None and fire.strftime("%a") == weekday


def test_cron_weekday_ranges_are_translated() -> None:
    from datetime import UTC, datetime, timedelta

    from control_catalog.cadence import cron_trigger

    trigger = cron_trigger("0 9 * * 1-5", "UTC")
    fires, now = [], datetime(2026, 11, 21, tzinfo=UTC)  # a Saturday
    for _ in range(6):
        fire = trigger.get_next_fire_time(None, now)
        assert fire is not None
        fires.append(fire.strftime("%a"))
        now = fire + timedelta(minutes=1)
    assert fires == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
