"""The `controlbot` CLI as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli import CliResult, run_cli

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> str:
    """A migrated database that the CLI uses through CONTROLBOT_DATABASE_URL."""
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    result = run_cli(capsys, "db", "upgrade")
    assert result.code == 0, result.err
    return db_url


def _one_line_error(result: CliResult, code: int = 1) -> str:
    assert result.code == code
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


def test_catalog_list_json_has_all_72_controls(capsys: Capsys) -> None:
    result = run_cli(capsys, "catalog", "list", "--format", "json")
    controls = result.json()
    assert result.code == 0 and len(controls) == 72
    assert {"id", "function", "category", "title", "priority", "kind"} <= set(controls[0])
    assert controls[0]["id"] == "GV-1.1"


def test_catalog_list_table(capsys: Capsys) -> None:
    result = run_cli(capsys, "catalog", "list")
    assert result.code == 0
    assert "gpai-profile@1.2: 72 controls" in result.out and "MG-4.3" in result.out


def test_catalog_show_prints_guidance_and_provenance(capsys: Capsys) -> None:
    result = run_cli(capsys, "catalog", "show", "mg-2.4", "--format", "json")
    detail = result.json()
    assert detail["id"] == "MG-2.4" and detail["category_title"]
    assert detail["priority_source"].startswith("unverified") and detail["guidance"]


def test_catalog_show_unknown_id(capsys: Capsys) -> None:
    line = _one_line_error(run_cli(capsys, "catalog", "show", "GV-9.9"))
    assert "has no control 'GV-9.9'" in line


def test_validate_accepts_the_bundled_file(capsys: Capsys) -> None:
    path = Path("control_catalog/data/gpai-profile-1.2.yaml")
    result = run_cli(capsys, "catalog", "validate", str(path))
    assert result.code == 0
    assert result.out.strip() == "ok: gpai-profile@1.2 with 72 controls in 19 categories"


def test_validate_names_duplicate_id_and_unknown_function(capsys: Capsys, tmp_path: Path) -> None:
    data = yaml.safe_load(Path("control_catalog/data/gpai-profile-1.2.yaml").read_text())
    data["controls"][5]["id"] = "GV-1.1"
    data["controls"][6]["function"] = "monitor"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_cli(capsys, "catalog", "validate", str(path))
    assert result.code == 1 and "Traceback" not in result.err
    assert (
        f"{path}: controls[5] GV-1.1: id: duplicate id GV-1.1, first at controls[0] GV-1.1"
        in result.err
    )
    assert "controls[6] GV-1.7: function:" in result.err and "'monitor'" in result.err


def test_plan_prints_72_tasks_by_default_and_fewer_for_high(capsys: Capsys) -> None:
    everything = run_cli(
        capsys, "release", "plan", "--name", "atlas", "--version", "2", "--format", "json"
    )
    high = run_cli(
        capsys,
        "release",
        "plan",
        "--name",
        "atlas",
        "--version",
        "2",
        "--priority",
        "high",
        "--format",
        "json",
    )
    assert len(everything.json()["tasks"]) == 72
    assert 0 < len(high.json()["tasks"]) < 72
    assert {t["priority"] for t in high.json()["tasks"]} == {"high"}


def test_plan_with_target_date_and_filters(capsys: Capsys) -> None:
    result = run_cli(
        capsys,
        "release",
        "plan",
        "--name",
        "atlas",
        "--version",
        "2",
        "--target-date",
        "2026-12-15",
        "--function",
        "manage",
        "--exclude",
        "MG-4.3",
        "--format",
        "json",
    )
    tasks = result.json()["tasks"]
    assert [t["control_id"] for t in tasks][-1] == "MG-4.2"
    assert tasks[0]["due_date"] == "2026-12-08"


def test_plan_table_needs_no_database(capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = run_cli(capsys, "release", "plan", "--name", "atlas", "--version", "2")
    assert result.code == 0 and "Plan for atlas-2 from gpai-profile@1.2: 72 controls" in result.out


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ("release", "plan", "--name", "a", "--version", "1", "--target-date", "15/12/2026"),
            1,
            "--target-date must be a date",
        ),
        (
            ("release", "plan", "--name", "a", "--version", "1", "--include", "XX-1.1"),
            1,
            "has no control XX-1.1",
        ),
        (
            ("release", "plan", "--name", "a", "--version", "1", "--priority", "urgent"),
            2,
            "Invalid value for '--priority'",
        ),
        (("release", "plan", "--version", "1"), 2, "Missing option '--name'"),
        (
            ("release", "plan", "--name", "a", "--version", "1", "--catalog", "/nope.yaml"),
            1,
            "/nope.yaml: No such file",
        ),
        (("catalog", "lst"), 2, "No such command 'lst'"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(
    capsys: Capsys, args: tuple[str, ...], code: int, fragment: str
) -> None:
    assert fragment in _one_line_error(run_cli(capsys, *args), code)


def test_create_status_set_and_history(capsys: Capsys, db: str) -> None:
    created = run_cli(
        capsys,
        "release",
        "create",
        "--name",
        "Atlas",
        "--version",
        "2.0",
        "--target-date",
        "2026-12-15",
        "--actor",
        "ana",
    )
    assert (
        created.out.strip()
        == "created release atlas-2.0 with 72 control tasks from gpai-profile@1.2"
    )
    assert run_cli(
        capsys, "task", "set", "atlas-2.0", "MP-1.1", "done", "--actor", "ana"
    ).out.strip() == ("atlas-2.0 MP-1.1: todo -> done")
    assert (
        "already done: nothing changed"
        in run_cli(capsys, "task", "set", "atlas-2.0", "mp-1.1", "done").out
    )
    run_cli(
        capsys,
        "task",
        "set",
        "Atlas",
        "MS-2.12",
        "not_applicable",
        "--justification",
        "no new training run",
    )
    status = run_cli(capsys, "release", "status", "atlas-2.0", "--format", "json").json()
    assert status["progress"]["closed"] == 2 and status["progress"]["total"] == 72
    by_id = {t["control_id"]: t for t in status["tasks"]}
    assert by_id["MS-2.12"]["justification"] == "no new training run"
    history = run_cli(capsys, "task", "history", "atlas-2.0", "MP-1.1", "--format", "json").json()
    assert [(h["from"], h["to"], h["actor"], h["source"]) for h in history] == [
        ("todo", "done", "ana", "cli")
    ]


def test_status_table_shows_completion(capsys: Capsys, db: str) -> None:
    run_cli(
        capsys, "release", "create", "--name", "Atlas", "--version", "2.0", "--priority", "high"
    )
    result = run_cli(capsys, "release", "status", "Atlas")
    assert result.code == 0
    assert "0/12 closed (0.0%)" in result.out and "MG-4.1" in result.out
    listing = run_cli(capsys, "release", "list", "--format", "json").json()
    assert [(r["slug"], r["total"]) for r in listing] == [("atlas-2.0", 12)]


def test_workflow_errors_are_one_line(capsys: Capsys, db: str) -> None:
    run_cli(capsys, "release", "create", "--name", "Atlas", "--version", "2.0")
    assert "already exists" in _one_line_error(
        run_cli(capsys, "release", "create", "--name", "Atlas", "--version", "2.0")
    )
    assert "no single release 'zeus'" in _one_line_error(
        run_cli(capsys, "release", "status", "zeus")
    )
    assert "needs a justification" in _one_line_error(
        run_cli(capsys, "task", "set", "atlas-2.0", "GV-1.1", "not_applicable")
    )
    run_cli(capsys, "task", "set", "atlas-2.0", "GV-1.1", "done")
    assert "cannot move a control from done to blocked" in _one_line_error(
        run_cli(capsys, "task", "set", "atlas-2.0", "GV-1.1", "blocked")
    )
    assert "has no control GV-9.1" in _one_line_error(
        run_cli(capsys, "task", "set", "atlas-2.0", "GV-9.1", "done")
    )


def test_an_unmigrated_database_gets_a_hint(
    capsys: Capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    line = _one_line_error(run_cli(capsys, "release", "list"))
    assert "is at schema none" in line and "run 'controlbot db upgrade'" in line


def test_an_unreachable_database_hides_its_password(
    capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CONTROLBOT_DATABASE_URL", "postgresql+psycopg://bot:hunter2@127.0.0.1:1/none"
    )
    result = run_cli(capsys, "db", "upgrade")
    line = _one_line_error(result)
    assert "hunter2" not in result.err + result.out
    assert line.startswith("error: database error:")


def test_user_catalog_is_used_for_release_create(capsys: Capsys, db: str, tmp_path: Path) -> None:
    data = yaml.safe_load(Path("control_catalog/data/gpai-profile-1.2.yaml").read_text())
    data.update(name="house", version="3")
    data["controls"] = data["controls"][:5]
    path = tmp_path / "house.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_cli(
        capsys, "release", "create", "--name", "Atlas", "--version", "1", "--catalog", str(path)
    )
    assert result.out.strip() == "created release atlas-1 with 5 control tasks from house@3"
