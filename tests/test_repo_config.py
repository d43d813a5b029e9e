"""Parsing `.github/controlbot.yml`: valid settings, defaults, and problems that name the key."""

from __future__ import annotations

from control_catalog import Function, Priority
from workflows.repo_config import GateRequirement, Granularity, RepoConfig, parse_repo_config

FULL = """
catalog: gpai-profile@1.2
selection:
  priority: high
  functions: [map, measure]
  exclude: [MS-2.12]
granularity: control
labels: [ai-risk]
assignees:
  measure: [bob, carol]
due_offsets:
  measure: 21
  MS-2.6: 30
open_on_release: true
gate:
  required: high
  release_branch: release
"""


def test_no_file_means_defaults_without_problems() -> None:
    assert parse_repo_config(None) == (RepoConfig(), [])
    config, problems = parse_repo_config("   \n")
    assert config.granularity is Granularity.HIGH and problems == []


def test_every_setting_is_read() -> None:
    config, problems = parse_repo_config(FULL)
    assert problems == []
    selection = config.selection.to_selection()
    assert selection.priority is Priority.HIGH
    assert selection.functions == {Function.MAP, Function.MEASURE}
    assert selection.exclude == {"MS-2.12"}
    assert config.granularity is Granularity.CONTROL
    assert config.assignees[Function.MEASURE] == ["bob", "carol"]
    assert config.due_offsets == {"measure": 21, "MS-2.6": 30}
    assert config.open_on_release and config.gate.required is GateRequirement.HIGH
    assert config.gate.release_branch == "release"


def test_a_bad_key_is_reported_and_only_that_key_falls_back() -> None:
    config, problems = parse_repo_config(
        "granularity: everything\nlabels: [ai-risk]\ndue_offsets: {measure: 999}\ncolour: red\n"
    )
    assert config.granularity is Granularity.HIGH
    assert config.labels == ["ai-risk"]
    assert config.due_offsets["measure"] == 14
    joined = "\n".join(problems)
    assert ".github/controlbot.yml: granularity: Input should be" in joined
    assert "due_offsets: measure: 999 days is outside -365..365; using the default" in joined
    assert "colour: Extra inputs are not permitted" in joined
    assert len(problems) == 3


def test_nested_errors_name_the_path() -> None:
    config, problems = parse_repo_config("selection:\n  functions: [map, monitor]\n")
    assert config.selection.functions == []
    assert problems and problems[0].startswith(".github/controlbot.yml: selection.functions.1:")


def test_broken_yaml_and_wrong_shape_use_defaults() -> None:
    config, problems = parse_repo_config("labels: [unclosed\n")
    assert config == RepoConfig() and "not valid YAML" in problems[0] and "line" in problems[0]
    config, problems = parse_repo_config("- a\n- b\n")
    assert config == RepoConfig() and "expected a mapping" in problems[0]
