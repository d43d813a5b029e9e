"""A release report as an OSCAL assessment-results document (OSCAL 1.2 JSON), built purely.

Each control becomes one finding whose target is the control (as an OSCAL token, `GV-1.2` ->
`gv-1.2`), `satisfied` when done or justified as not applicable and `not-satisfied` otherwise.
UUIDs are v5 over a fixed namespace, so the same report and `now` give the same document:
the document, result and observations are per export (`now` is in their name), a finding is
per release and control so it keeps its UUID across exports, as OSCAL asks of findings.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from control_catalog import Framework
from workflows.reports import ReleaseReport, ReportRow
from workflows.status import ControlStatus

OSCAL_VERSION = "1.2.1"
NAMESPACE = uuid.UUID("b196f39b-afc3-4f42-a711-c8bba92bb96b")
PROP_NS = "urn:controlbot:oscal"
FRAMEWORK_PROPS = {
    Framework.ISO_42001: "iso-42001-ref",
    Framework.EU_AI_ACT: "eu-ai-act-ref",
    Framework.ISO_23894: "iso-23894-ref",
}
_NOT_TOKEN = re.compile(r"[^a-z0-9_.-]+")

Json = dict[str, Any]


def to_oscal_assessment_results(report: ReleaseReport, *, now: datetime) -> Json:
    """The report as `{"assessment-results": ...}`, valid against the OSCAL 1.2.1 JSON schema."""
    key = _release_key(report)
    at = _iso(now)
    plan = _uuid(key, "plan")
    observations = {r.control_id: _observation(r, key, at) for r in report.rows if r.evidence}
    result: Json = {
        "uuid": _uuid(key, at, "result"),
        "title": _line(f"Control status of {report.name} {report.version} at {at}"),
        "description": f"Status of every control planned for release {report.slug} "
        f"from {report.catalog_ref}, as tracked by controlbot.",
        "start": _iso(min(report.created_at, now)),
        "end": at,
        "props": _props(
            ("completion-percent", f"{report.progress.percent:.1f}"),
            ("closed", str(report.progress.closed)),
            ("total", str(report.progress.total)),
            ("overdue", str(report.progress.overdue)),
        ),
        "reviewed-controls": {"control-selections": [_selection(report)]},
    }
    if observations:
        result["observations"] = list(observations.values())
    if report.rows:
        result["findings"] = [_finding(r, key, observations.get(r.control_id)) for r in report.rows]
    document: Json = {
        "uuid": _uuid(key, at, "document"),
        "metadata": _metadata(report, at),
        "import-ap": {
            "href": f"#{plan}",
            "remarks": "controlbot keeps no separate assessment plan: the plan is the release's "
            "selection of catalog controls, described in back-matter.",
        },
        "results": [result],
        "back-matter": {"resources": [_plan_resource(report, plan)]},
    }
    return {"assessment-results": document}


def control_token(control_id: str) -> str:
    """An OSCAL token for a control id: lowercase, `GV-1.2` -> `gv-1.2`."""
    token = _NOT_TOKEN.sub("-", control_id.strip().lower()).strip("-") or "control"
    return token if token[0].isalpha() or token[0] == "_" else f"c-{token}"


def is_satisfied(row: ReportRow) -> bool:
    """Done, or not applicable with a justification, counts as satisfied."""
    if row.status is ControlStatus.DONE:
        return True
    return row.status is ControlStatus.NOT_APPLICABLE and bool((row.justification or "").strip())


def _metadata(report: ReleaseReport, at: str) -> Json:
    """Title, timestamps, versions and the release's identity as props."""
    metadata: Json = {
        "title": _line(f"controlbot assessment results: {report.name} {report.version}"),
        "last-modified": at,
        "version": at,
        "oscal-version": OSCAL_VERSION,
        "props": _props(
            ("release", report.slug),
            ("release-name", report.name),
            ("release-version", report.version),
            ("release-state", report.state.value),
            ("target-date", report.target_date.isoformat() if report.target_date else None),
            ("catalog", report.catalog_ref),
            ("workspace", f"{report.workspace_kind.value}:{report.workspace_name}"),
        ),
    }
    if report.tracker_url:
        metadata["links"] = [{"href": report.tracker_url, "rel": "related", "text": "tracker"}]
    return metadata


def _selection(report: ReleaseReport) -> Json:
    """The reviewed controls: each control by token, or include-all for an empty release."""
    if not report.rows:
        return {"include-all": {}}
    return {"include-controls": [{"control-id": control_token(r.control_id)} for r in report.rows]}


def _finding(row: ReportRow, key: str, observation: Json | None) -> Json:
    """One control's finding: target status, controlbot props, evidence links, remarks."""
    satisfied = is_satisfied(row)
    status: Json = {"state": "satisfied" if satisfied else "not-satisfied"}
    if row.justification:
        status["remarks"] = row.justification
    finding: Json = {
        "uuid": _uuid(key, "finding", row.control_id),
        "title": _line(f"{row.control_id} {row.title}"),
        "description": f"{row.control_id} ({row.title}) is {row.status.value} in controlbot.",
        "props": _props(*_row_props(row)),
        "target": {
            "type": "objective-id",
            "target-id": control_token(row.control_id),
            "props": _props(("control-id", row.control_id)),
            "status": status,
        },
    }
    links = [{"href": url, "rel": "evidence"} for url in row.evidence]
    if row.tracker_url:
        links.append({"href": row.tracker_url, "rel": "related", "text": "tracker item"})
    if links:
        finding["links"] = links
    if observation is not None:
        finding["related-observations"] = [{"observation-uuid": observation["uuid"]}]
    if row.justification:
        finding["remarks"] = row.justification
    return finding


def _row_props(row: ReportRow) -> list[tuple[str, str | None]]:
    """The controlbot fields of a row as (name, value) pairs, crosswalk refs one per prop."""
    change = row.last_change
    pairs: list[tuple[str, str | None]] = [
        ("status", row.status.value),
        ("owner", row.owner),
        ("due-date", row.due_date.isoformat() if row.due_date else None),
        ("overdue", "true" if row.overdue else "false"),
        ("priority", row.priority.value),
        ("function", row.function.value),
        ("kind", row.kind.value),
        ("last-changed-by", change.actor if change else None),
        ("last-changed-at", _iso(change.at) if change else None),
        ("last-change-source", change.source.value if change else None),
    ]
    for framework, name in FRAMEWORK_PROPS.items():
        pairs.extend((name, ref) for ref in row.refs(framework))
    return pairs


def _observation(row: ReportRow, key: str, at: str) -> Json:
    """The evidence attached to a control, as one examined observation."""
    return {
        "uuid": _uuid(key, at, "observation", row.control_id),
        "title": _line(f"Evidence for {row.control_id}"),
        "description": f"Evidence links attached to {row.control_id} in controlbot.",
        "methods": ["EXAMINE"],
        "relevant-evidence": [
            {"href": url, "description": "evidence link"} for url in row.evidence
        ],
        "collected": at,
    }


def _plan_resource(report: ReleaseReport, plan: str) -> Json:
    """The back-matter resource that import-ap points at: the release's plan."""
    resource: Json = {
        "uuid": plan,
        "title": _line(f"controlbot plan for {report.slug}"),
        "description": f"The controls of {report.catalog_ref} selected for release {report.slug}.",
    }
    if report.tracker_url:
        resource["rlinks"] = [{"href": report.tracker_url}]
    return resource


def _props(*pairs: tuple[str, str | None]) -> list[Json]:
    """OSCAL props in our namespace; empty values are left out (OSCAL values are non-empty)."""
    props = []
    for name, value in pairs:
        cleaned = _line(value or "")
        if cleaned:
            props.append({"name": name, "ns": PROP_NS, "value": cleaned})
    return props


def _line(text: str) -> str:
    """One line with single spaces (OSCAL titles and prop values refuse newlines)."""
    return " ".join(text.split())


def _release_key(report: ReleaseReport) -> str:
    """What identifies a release across exports: workspace and slug."""
    return f"{report.workspace_kind.value}:{report.workspace_name}:{report.slug}"


def _uuid(*parts: str) -> str:
    """A deterministic v5 UUID for these parts."""
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def _iso(moment: datetime) -> str:
    """An OSCAL date-time, which must carry a time zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: OSCAL timestamps need a time zone")
    return moment.isoformat()
