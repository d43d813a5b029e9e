"""`controlbot release report` and `release status` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli import CliResult, run_cli
from tests.oscal.test_oscal_export import schema_errors

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def atlas(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> str:
    """A migrated database with Atlas 2.0: GV-1.1 done, MS-2.12 not applicable."""
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    steps = [
        ("db", "upgrade"),
        ("release", "create", "--name", "Atlas", "--version", "2.0", "--target-date", "2026-12-15"),
        ("task", "set", "atlas-2.0", "GV-1.1", "done", "--actor", "ana"),
        ("task", "set", "atlas-2.0", "MS-2.12", "not_applicable", "--note", "no | new training"),
    ]
    for step in steps:
        result = run_cli(capsys, *step)
        assert result.code == 0, result.err
    return "atlas-2.0"


def _one_line_error(result: CliResult, code: int = 1) -> str:
    assert result.code == code and "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


def test_report_defaults_to_markdown_on_stdout(capsys: Capsys, atlas: str) -> None:
    result = run_cli(capsys, "release", "report", atlas)
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("# Release review: Atlas 2.0\n")
    assert "- **Completion:** 2/72 closed (2.8%)" in result.out
    assert "- **Target date:** 2026-12-15" in result.out
    assert "| GV-1.1 | Know, manage and record" in result.out
    assert "- **MS-2.12** " in result.out and "no \\| new training" in result.out


def test_report_csv_to_a_file_says_where(capsys: Capsys, atlas: str, tmp_path: Path) -> None:
    target = tmp_path / "atlas.csv"
    result = run_cli(
        capsys, "release", "report", "Atlas", "--format", "csv", "--output", str(target)
    )
    assert result.code == 0
    assert result.out.strip() == f"wrote csv report to {target}"
    rows = {r["control_id"]: r for r in csv.DictReader(io.StringIO(target.read_text(), newline=""))}
    assert (rows["GV-1.1"]["status"], rows["GV-1.1"]["iso_42001"]) == (
        "done",
        "4.1; 6.2; B.2.2; B.2.4",
    )
    assert rows["GV-1.1"]["last_changed_by"] == "ana"
    assert rows["MS-2.12"]["justification"] == "no | new training"


def test_report_json_on_stdout(capsys: Capsys, atlas: str) -> None:
    data = run_cli(capsys, "release", "report", atlas, "--format", "json").json()
    assert data["progress"]["closed"] == 2 and len(data["controls"]) == 72
    assert data["controls"][0]["control_id"] == "GV-1.1"
    assert data["controls"][0]["status"] == "done"


def test_report_oscal_is_schema_valid(capsys: Capsys, atlas: str, tmp_path: Path) -> None:
    target = tmp_path / "atlas-ar.json"
    result = run_cli(capsys, "release", "report", atlas, "--format", "oscal", "-o", str(target))
    assert result.code == 0 and "wrote oscal report to" in result.out
    document = json.loads(target.read_text())
    assert schema_errors(document) == []
    findings = document["assessment-results"]["results"][0]["findings"]
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in findings}
    assert (states["gv-1.1"], states["ms-2.12"], states["gv-1.2"]) == (
        "satisfied",
        "satisfied",
        "not-satisfied",
    )


def test_report_errors_are_one_line(capsys: Capsys, atlas: str, tmp_path: Path) -> None:
    assert "no single release 'zeus'" in _one_line_error(
        run_cli(capsys, "release", "report", "zeus")
    )
    bad_format = run_cli(capsys, "release", "report", atlas, "--format", "pdf")
    assert "'pdf' is not one of" in _one_line_error(bad_format, code=2)
    missing_dir = tmp_path / "nowhere" / "report.md"
    assert f"cannot write {missing_dir}" in _one_line_error(
        run_cli(capsys, "release", "report", atlas, "--output", str(missing_dir))
    )


def test_status_shows_completion_priority_overdue_owner_and_due(capsys: Capsys, atlas: str) -> None:
    result = run_cli(capsys, "release", "status", atlas)
    assert result.code == 0
    assert "2/72 closed (2.8%)" in result.out
    assert "high priority 0/12 closed" in result.out and "overdue" in result.out
    header = next(line for line in result.out.splitlines() if "Control" in line)
    assert "Due" in header and "Owner" in header
    data = run_cli(capsys, "release", "status", atlas, "--format", "json").json()
    assert data["progress"]["high_total"] == 12 and "overdue" in data["progress"]
