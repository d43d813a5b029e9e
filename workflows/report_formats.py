"""A release report as Markdown, CSV, JSON or OSCAL: pure renderers and one entry point.

JSON keys (`format_version` 1; new keys may be added, existing ones keep their meaning):
`format`, `format_version`, `generated_at`, `release` {slug, name, version, target_date, state,
catalog, catalog_title, crosswalks_available, workspace {kind, name}, tracker_url, created_at},
`progress` {total, closed, percent, high_total, high_closed, overdue, by_status}, and `controls`,
one per control in plan order: {control_id, title, function, category, priority, kind, status,
owner, due_date, overdue, evidence, justification, tracker_url, last_change {actor, at, source}
or null, crosswalks {iso_42001, eu_ai_act, iso_23894}}. Dates are ISO 8601 strings.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from control_catalog import Framework, Function
from workflows.models import Release, WorkspaceKind
from workflows.oscal_results import to_oscal_assessment_results
from workflows.reports import ReleaseReport, ReportRow, build_report, report_data
from workflows.status import CLOSED, ControlStatus

FRAMEWORK_LABELS = {
    Framework.ISO_42001: "ISO/IEC 42001",
    Framework.EU_AI_ACT: "EU AI Act",
    Framework.ISO_23894: "ISO/IEC 23894",
}
CSV_COLUMNS = (
    "control_id",
    "title",
    "function",
    "category",
    "priority",
    "kind",
    "status",
    "owner",
    "due_date",
    "overdue",
    "evidence",
    "justification",
    "tracker_url",
    "last_changed_by",
    "last_changed_at",
    "last_change_source",
    *(f.value for f in Framework),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EMPTY = "—"
_NEWLINES = re.compile(r"\r\n|\r|\n")


class ReportFormat(StrEnum):
    """The formats a release report is offered in."""

    MD = "md"
    CSV = "csv"
    JSON = "json"
    OSCAL = "oscal"


MEDIA_TYPES = {
    ReportFormat.MD: "text/markdown; charset=utf-8",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.JSON: "application/json",
    ReportFormat.OSCAL: "application/json",
}
FILE_SUFFIXES = {
    ReportFormat.MD: "report.md",
    ReportFormat.CSV: "report.csv",
    ReportFormat.JSON: "report.json",
    ReportFormat.OSCAL: "assessment-results.json",
}


def render_report(
    *, session: Session, release: Release | str, fmt: ReportFormat | str, now: datetime
) -> tuple[str, str, str]:
    """Build a release's report and render it: (content, media type, download filename)."""
    return render(build_report(session=session, release=release, now=now), fmt=fmt, now=now)


def render(
    report: ReleaseReport, *, fmt: ReportFormat | str, now: datetime
) -> tuple[str, str, str]:
    """Render a built report: (content, media type, download filename)."""
    chosen = ReportFormat(fmt)
    if chosen is ReportFormat.MD:
        content = to_markdown(report)
    elif chosen is ReportFormat.CSV:
        content = to_csv(report)
    elif chosen is ReportFormat.JSON:
        content = to_json(report)
    else:
        content = _dumps(to_oscal_assessment_results(report, now=now))
    return content, MEDIA_TYPES[chosen], f"{report.slug}-{FILE_SUFFIXES[chosen]}"


# -- Markdown ---------------------------------------------------------------------------------


def to_markdown(report: ReleaseReport) -> str:
    """A document for a release review: summary, a table per function, N/A and overdue lists."""
    parts = [_md_header(report)]
    for function in Function:
        parts.append(_md_function(report, function))
    parts.append(_md_not_applicable(report))
    parts.append(_md_overdue(report))
    return "\n\n".join(parts) + "\n"


def _md_header(report: ReleaseReport) -> str:
    """Title and the figures a review starts with."""
    p = report.progress
    high = f"{p.high_closed}/{p.high_total} closed" if p.high_total else "none selected"
    by_status = ", ".join(f"{s.value} {n}" for s, n in p.by_status.items() if n)
    lines = [
        f"# Release review: {md_text(report.name)} {md_text(report.version)}",
        "",
        f"- **Release:** {md_text(report.slug)} ({report.state.value})",
        f"- **Target date:** {report.target_date.isoformat() if report.target_date else EMPTY}",
        f"- **Completion:** {p.closed}/{p.total} closed ({p.percent:.1f}%)",
        f"- **High priority:** {high}",
        f"- **Overdue:** {p.overdue}",
        f"- **By status:** {by_status or EMPTY}",
        f"- **Catalog:** {md_text(report.catalog_ref)}",
        f"- **Tracked in:** {_where(report)}",
        f"- **Generated:** {report.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
    ]
    if not report.crosswalks_known:
        lines.append(
            f"\n_Crosswalks unavailable: catalog {md_text(report.catalog_ref)} not found._"
        )
    return "\n".join(lines)


def _where(report: ReleaseReport) -> str:
    """The workspace, linked to the release's tracker item when it has one."""
    if report.workspace_kind is WorkspaceKind.LOCAL:
        return "the local database"
    where = f"{report.workspace_kind.value} {md_text(report.workspace_name)}"
    return f"{where} ({md_link('tracker', report.tracker_url)})" if report.tracker_url else where


MD_COLUMNS = (
    "Control",
    "Title",
    "Priority",
    "Status",
    "Owner",
    "Due",
    "Evidence",
    "Justification",
    FRAMEWORK_LABELS[Framework.ISO_42001],
    FRAMEWORK_LABELS[Framework.EU_AI_ACT],
)


def _md_function(report: ReleaseReport, function: Function) -> str:
    """One function's table, or a line saying it has no controls in this release."""
    rows = report.by_function(function)
    if not rows:
        return f"## {function.value.title()}\n\n_No controls selected._"
    closed = sum(1 for r in rows if r.status in CLOSED)
    heading = f"## {function.value.title()} ({closed}/{len(rows)} closed)"
    lines = [heading, "", _md_row(MD_COLUMNS), _md_row(["---"] * len(MD_COLUMNS))]
    lines.extend(_md_row(_md_cells(r)) for r in rows)
    return "\n".join(lines)


def _md_cells(row: ReportRow) -> list[str]:
    """A row's Markdown cells, escaped; the control id links to its tracker item."""
    status = row.status.value + (" **(overdue)**" if row.overdue else "")
    evidence = ", ".join(md_link(f"link {i}", url) for i, url in enumerate(row.evidence, 1))
    return [
        md_link(row.control_id, row.tracker_url) if row.tracker_url else md_text(row.control_id),
        md_text(row.title),
        row.priority.value,
        status,
        md_text(row.owner),
        row.due_date.isoformat() if row.due_date else EMPTY,
        evidence or EMPTY,
        md_text(row.justification),
        md_text("; ".join(row.refs(Framework.ISO_42001))),
        md_text("; ".join(row.refs(Framework.EU_AI_ACT))),
    ]


def _md_not_applicable(report: ReleaseReport) -> str:
    """Controls ruled out, each with the justification given."""
    rows = [r for r in report.rows if r.status is ControlStatus.NOT_APPLICABLE]
    lines = [f"## Not applicable ({len(rows)})", ""]
    lines.extend(
        f"- **{md_text(r.control_id)}** {md_text(r.title)}: {md_text(r.justification)}"
        for r in rows
    )
    return "\n".join(lines if rows else [*lines, "_None._"])


def _md_overdue(report: ReleaseReport) -> str:
    """Open controls past their due date, with owner and status."""
    rows = [r for r in report.rows if r.overdue]
    lines = [f"## Overdue ({len(rows)})", ""]
    lines.extend(
        f"- **{md_text(r.control_id)}** {md_text(r.title)}: due "
        f"{r.due_date.isoformat() if r.due_date else EMPTY}, {r.status.value}, "
        f"owner {md_text(r.owner)}"
        for r in rows
    )
    return "\n".join(lines if rows else [*lines, "_None._"])


def _md_row(cells: list[str] | tuple[str, ...]) -> str:
    """One Markdown table line."""
    return "| " + " | ".join(cells) + " |"


def md_text(value: str | None) -> str:
    """Text safe in a Markdown table cell: pipes and backslashes escaped, no raw HTML, one line."""
    if value is None or not value.strip():
        return EMPTY
    text = value.strip().replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINES.sub("<br>", text)


def md_link(label: str, url: str | None) -> str:
    """A Markdown link for http(s) URLs; anything else is shown as plain text, never linked."""
    if url is None:
        return md_text(label)
    if not url.lower().startswith(("http://", "https://")):
        return md_text(url)
    safe = "".join(_URL_ESCAPES.get(ch, ch) for ch in url.strip())
    return f"[{md_text(label)}]({safe})"


_URL_ESCAPES = {" ": "%20", "(": "%28", ")": "%29", "|": "%7C", "<": "%3C", ">": "%3E"}


# -- CSV and JSON -----------------------------------------------------------------------------


def to_csv(report: ReleaseReport) -> str:
    """One row per control with crosswalk columns; cells a spreadsheet would run are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([csv_cell(v) for v in _csv_values(row)])
    return buffer.getvalue()


def _csv_values(row: ReportRow) -> list[str]:
    """A row's values in CSV_COLUMNS order; lists are joined with '; '."""
    change = row.last_change
    return [
        row.control_id,
        row.title,
        row.function.value,
        row.category,
        row.priority.value,
        row.kind.value,
        row.status.value,
        row.owner or "",
        row.due_date.isoformat() if row.due_date else "",
        "yes" if row.overdue else "no",
        "; ".join(row.evidence),
        row.justification or "",
        row.tracker_url or "",
        change.actor if change else "",
        change.at.isoformat() if change else "",
        change.source.value if change else "",
        *("; ".join(row.refs(f)) for f in Framework),
    ]


def csv_cell(value: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula (= + - @, tab, CR)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def to_json(report: ReleaseReport) -> str:
    """The report as JSON with the keys documented at the top of this module."""
    return _dumps(report_data(report))


def _dumps(data: Any) -> str:
    """Stable, readable JSON: indented, keys in the order written, UTF-8 kept, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
