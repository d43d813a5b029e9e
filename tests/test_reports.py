"""Release reports built on a real database and rendered as a review document, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from control_catalog import Framework, load_bundled
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.models import Release, WorkspaceKind
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.report_formats import (
    MD_COLUMNS,
    csv_cell,
    render_report,
    to_csv,
    to_json,
    to_markdown,
)
from workflows.reports import ReleaseReport, build_report
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task, set_status
from workflows.tracking import sync_release

CATALOG = load_bundled("gpai-profile@1.2")
TARGET = date(2026, 12, 1)  # the Govern controls fall due on 2026-11-10, before NOW
EVIDENCE = "https://evidence.test/atlas/gv-1.1/red-team-report.pdf"
JUSTIFICATION = "Covered by | the org policy\nsee wiki"
FORMULA_OWNER = '=HYPERLINK("https://evil.test","click")'


def open_reviewed_release(session: Session) -> Release:
    """Atlas 2.0 in GitHub with one control done, one not applicable, one in progress."""
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=CATALOG,
        name="Atlas",
        version="2.0",
        actor="lead",
        now=NOW - timedelta(days=30),
        target_date=TARGET,
    )
    config = RepoConfig(granularity=Granularity.CONTROL)
    sync_release(
        session=session, release=release, tracker=InMemoryTracker(), config=config, now=NOW
    )
    _move(session, release, "GV-1.1", ControlStatus.IN_PROGRESS, "bob", hours=3)
    _move(session, release, "GV-1.1", ControlStatus.DONE, "ana", hours=1)
    _move(session, release, "GV-1.2", ControlStatus.NOT_APPLICABLE, "cy", note=JUSTIFICATION)
    _move(session, release, "GV-1.3", ControlStatus.IN_PROGRESS, "dee")
    done = get_task(session=session, release=release, control_id="GV-1.1")
    done.evidence = [EVIDENCE]
    done.owner = "ana"
    started = get_task(session=session, release=release, control_id="GV-1.3")
    started.owner = FORMULA_OWNER
    session.add_all([done, started])
    session.commit()
    return release


def _move(
    session: Session,
    release: Release,
    control_id: str,
    status: ControlStatus,
    actor: str,
    *,
    note: str | None = None,
    hours: int = 2,
) -> None:
    """Change a task's status through the status table, as the CLI does."""
    task = get_task(session=session, release=release, control_id=control_id)
    set_status(
        session=session,
        task=task,
        status=status,
        actor=actor,
        source=ChangeSource.CLI,
        now=NOW - timedelta(hours=hours),
        note=note,
    )
    session.commit()


@pytest.fixture
def release(session: Session) -> Release:
    """The reviewed Atlas release."""
    return open_reviewed_release(session)


@pytest.fixture
def report(session: Session, release: Release) -> ReleaseReport:
    """Its report at NOW."""
    return build_report(session=session, release=release, now=NOW)


def test_rows_carry_status_owner_evidence_tracker_link_and_last_change(
    report: ReleaseReport,
) -> None:
    rows = {r.control_id: r for r in report.rows}
    assert len(rows) == 72 and report.slug == "atlas-2.0"
    done = rows["GV-1.1"]
    assert (done.status, done.owner, done.evidence) == (ControlStatus.DONE, "ana", (EVIDENCE,))
    assert done.last_change is not None
    assert (done.last_change.actor, done.last_change.source) == ("ana", ChangeSource.CLI)
    assert done.last_change.at == NOW - timedelta(hours=1)
    assert done.tracker_url and done.tracker_url.startswith("https://example.test/o/r/issues/")
    assert report.tracker_url == "https://example.test/o/r/issues/1"
    assert done.refs(Framework.ISO_42001) == ("4.1", "6.2", "B.2.2", "B.2.4")
    assert rows["GV-1.2"].justification == JUSTIFICATION
    assert rows["GV-1.3"].overdue and not done.overdue
    assert rows["MG-4.3"].last_change is None
    assert (report.progress.closed, report.progress.total) == (2, 72)
    assert (report.workspace_kind, report.workspace_name) == (WorkspaceKind.GITHUB, "o/r")


def test_a_release_is_loaded_with_a_few_queries_and_quickly(
    engine: Engine, session: Session, release: Release
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        build_report(session=session, release=release.slug, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 6, statements  # find_release by slug, then one query per table
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        to_markdown(build_report(session=session, release=release, now=NOW))
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.1, timings


def test_an_unknown_catalog_leaves_crosswalks_empty(session: Session, release: Release) -> None:
    release.catalog_ref = "retired-profile@0.9"
    session.add(release)
    session.commit()
    report = build_report(session=session, release=release, now=NOW)
    assert not report.crosswalks_known
    assert all(not r.crosswalks for r in report.rows)
    assert "_Crosswalks unavailable: catalog retired-profile@0.9 not found._" in to_markdown(report)
    row = next(csv.DictReader(io.StringIO(to_csv(report))))
    assert (row["iso_42001"], row["eu_ai_act"], row["status"]) == ("", "", "done")


def test_markdown_is_a_review_document(report: ReleaseReport) -> None:
    text = to_markdown(report)
    assert text.startswith("# Release review: Atlas 2.0\n")
    assert "- **Target date:** 2026-12-01" in text
    assert "- **Completion:** 2/72 closed (2.8%)" in text
    assert f"- **Tracked in:** github o/r ([tracker]({report.tracker_url}))" in text
    assert "- **High priority:** 0/12 closed" in text
    assert f"- **Overdue:** {report.progress.overdue}" in text and report.progress.overdue > 0
    for heading in ("## Govern (2/19 closed)", "## Map (", "## Measure (", "## Manage ("):
        assert heading in text
    done = _md_line(text, "GV-1.1")
    assert done.startswith(f"| [GV-1.1]({report.rows[0].tracker_url}) |")
    assert f"[link 1]({EVIDENCE})" in done and "| done |" in done
    assert "| 4.1; 6.2; B.2.2; B.2.4 | Art. 53(1)(c); Art. 53(1)(d) |" in done
    assert "todo **(overdue)**" in _md_line(text, "GV-1.4")


def test_markdown_escapes_pipes_and_newlines_in_cells(report: ReleaseReport) -> None:
    text = to_markdown(report)
    na = _md_line(text, "GV-1.2")
    assert "Covered by \\| the org policy<br>see wiki" in na
    for line in text.splitlines():
        if line.startswith("| ") and "GV-" in line:
            assert len(re.findall(r"(?<!\\)\|", line)) == len(MD_COLUMNS) + 1, line


def test_markdown_lists_not_applicable_and_overdue_controls(report: ReleaseReport) -> None:
    text = to_markdown(report)
    not_applicable = _section(text, "## Not applicable (1)")
    assert not_applicable == [
        "- **GV-1.2** Build trustworthy-AI characteristics into policies and practices: "
        "Covered by \\| the org policy<br>see wiki"
    ]
    overdue = _section(text, f"## Overdue ({report.progress.overdue})")
    assert any(line.startswith("- **GV-1.3** ") and "in_progress" in line for line in overdue)
    assert not any("GV-1.1" in line or "GV-1.2" in line for line in overdue)


def test_markdown_never_links_a_non_web_url(report: ReleaseReport) -> None:
    row = replace(report.rows[0], evidence=("javascript:alert(1)", "https://x.test/a (b)"))
    text = to_markdown(replace(report, rows=(row, *report.rows[1:])))
    line = _md_line(text, "GV-1.1")
    assert "](javascript:" not in line and "javascript:alert(1)" in line
    assert "[link 2](https://x.test/a%20%28b%29)" in line


def test_csv_has_one_row_per_control_with_crosswalks(report: ReleaseReport) -> None:
    rows = {r["control_id"]: r for r in csv.DictReader(io.StringIO(to_csv(report)))}
    assert len(rows) == 72
    done = rows["GV-1.1"]
    assert (done["status"], done["iso_42001"], done["eu_ai_act"]) == (
        "done",
        "4.1; 6.2; B.2.2; B.2.4",
        "Art. 53(1)(c); Art. 53(1)(d)",
    )
    assert (done["evidence"], done["last_changed_by"], done["last_change_source"]) == (
        EVIDENCE,
        "ana",
        "cli",
    )
    assert rows["GV-1.2"]["justification"] == JUSTIFICATION
    assert rows["GV-1.3"]["overdue"] == "yes" and done["overdue"] == "no"


def test_csv_neutralises_formula_cells(report: ReleaseReport) -> None:
    rows = {r["control_id"]: r for r in csv.DictReader(io.StringIO(to_csv(report)))}
    assert rows["GV-1.3"]["owner"] == "'" + FORMULA_OWNER
    assert [csv_cell(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "ok", "4.1")] == [
        "'=1+2",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "ok",
        "4.1",
    ]


def test_json_has_the_documented_keys(report: ReleaseReport) -> None:
    data = json.loads(to_json(report))
    assert (data["format"], data["format_version"]) == ("controlbot-release-report", 1)
    assert data["release"]["slug"] == "atlas-2.0" and data["release"]["target_date"] == "2026-12-01"
    assert data["release"]["workspace"] == {"kind": "github", "name": "o/r"}
    assert data["progress"]["closed"] == 2 and data["progress"]["percent"] == 2.8
    done = next(c for c in data["controls"] if c["control_id"] == "GV-1.1")
    assert done["status"] == "done" and done["evidence"] == [EVIDENCE]
    assert done["crosswalks"]["iso_42001"] == ["4.1", "6.2", "B.2.2", "B.2.4"]
    assert done["last_change"] == {
        "actor": "ana",
        "at": "2026-11-22T11:00:00+00:00",
        "source": "cli",
    }
    assert to_json(report) == to_json(report)


def test_render_report_gives_content_media_type_and_filename(
    session: Session, release: Release
) -> None:
    expected = {
        "md": ("text/markdown; charset=utf-8", "atlas-2.0-report.md"),
        "csv": ("text/csv; charset=utf-8", "atlas-2.0-report.csv"),
        "json": ("application/json", "atlas-2.0-report.json"),
        "oscal": ("application/json", "atlas-2.0-assessment-results.json"),
    }
    for fmt, (media_type, filename) in expected.items():
        content, media, name = render_report(session=session, release="Atlas", fmt=fmt, now=NOW)
        assert (media, name) == (media_type, filename) and "GV-1.1" in content


def _md_line(text: str, control_id: str) -> str:
    """The table line of one control."""
    return next(line for line in text.splitlines() if line.startswith(f"| [{control_id}]"))


def _section(text: str, heading: str) -> list[str]:
    """The list items under a heading."""
    after = text.split(heading + "\n\n", 1)[1]
    return after.split("\n\n", 1)[0].strip().splitlines()
