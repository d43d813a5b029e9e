"""A release exported as OSCAL assessment results: schema-valid, one finding per control."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from sqlmodel import Session

from tests.conftest import NOW
from tests.test_reports import EVIDENCE, JUSTIFICATION, open_reviewed_release
from workflows.oscal_results import control_token, to_oscal_assessment_results
from workflows.reports import ReleaseReport, build_report

SCHEMA = Path(__file__).with_name("oscal_assessment-results_schema.json")
Json = dict[str, Any]


@cache
def validator() -> Draft202012Validator:
    """A validator on the generated OSCAL 1.2.1 schema (draft 2020-12, as pydantic writes it)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Json) -> list[str]:
    """Every schema violation as 'path: message', looking inside anyOf branches too."""
    return [f"{e.json_path}: {e.message}" for e in _leaves(validator().iter_errors(document))]


def _leaves(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """The innermost errors: an anyOf failure is explained by the errors of its branches."""
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        else:
            yield error


@pytest.fixture
def report(session: Session) -> ReleaseReport:
    """The reviewed Atlas release's report."""
    release = open_reviewed_release(session)
    return build_report(session=session, release=release, now=NOW)


@pytest.fixture
def document(report: ReleaseReport) -> Json:
    """Its OSCAL export at NOW."""
    return to_oscal_assessment_results(report, now=NOW)


def _findings(document: Json) -> dict[str, Json]:
    """Findings by their target's original control id."""
    result = document["assessment-results"]["results"][0]
    return {str(_prop(f["target"], "control-id")): f for f in result["findings"]}


def _prop(holder: Json, name: str) -> str | None:
    """The value of a controlbot prop, if present."""
    return next((p["value"] for p in holder.get("props", []) if p["name"] == name), None)


def test_the_export_validates_against_the_oscal_schema(document: Json) -> None:
    assert schema_errors(document) == []
    root = document["assessment-results"]
    assert root["metadata"]["oscal-version"] == "1.2.1"
    assert root["import-ap"]["href"] == "#" + root["back-matter"]["resources"][0]["uuid"]
    result = root["results"][0]
    assert datetime.fromisoformat(result["start"]) < datetime.fromisoformat(result["end"]) == NOW
    assert len(result["reviewed-controls"]["control-selections"][0]["include-controls"]) == 72


def test_the_schema_rejects_what_oscal_forbids(document: Json) -> None:
    finding = _findings(document)["GV-1.1"]
    finding["target"]["status"]["state"] = "done"
    del document["assessment-results"]["import-ap"]
    errors = schema_errors(document)
    assert any("].target.status.state: 'done' is not one of" in e for e in errors), errors
    assert any("'import-ap' is a required property" in e for e in errors)


def test_a_done_control_is_satisfied_with_its_evidence(document: Json) -> None:
    finding = _findings(document)["GV-1.1"]
    target = finding["target"]
    assert (target["type"], target["target-id"]) == ("objective-id", "gv-1.1")
    assert target["status"]["state"] == "satisfied"
    assert {"href": EVIDENCE, "rel": "evidence"} in finding["links"]
    assert (_prop(finding, "status"), _prop(finding, "owner")) == ("done", "ana")
    assert _prop(finding, "due-date") == "2026-11-10"
    assert _prop(finding, "iso-42001-ref") == "4.1"
    observations = document["assessment-results"]["results"][0]["observations"]
    related = finding["related-observations"][0]["observation-uuid"]
    observation = next(o for o in observations if o["uuid"] == related)
    assert observation["relevant-evidence"][0]["href"] == EVIDENCE


def test_an_open_control_is_not_satisfied(document: Json) -> None:
    findings = _findings(document)
    assert findings["GV-1.3"]["target"]["status"]["state"] == "not-satisfied"
    assert _prop(findings["GV-1.3"], "status") == "in_progress"
    assert findings["MG-4.3"]["target"]["status"]["state"] == "not-satisfied"
    assert "links" not in findings["MG-4.3"] or all(
        link["rel"] != "evidence" for link in findings["MG-4.3"]["links"]
    )


def test_a_justified_not_applicable_control_is_satisfied_with_the_reason(document: Json) -> None:
    finding = _findings(document)["GV-1.2"]
    assert finding["target"]["status"] == {"state": "satisfied", "remarks": JUSTIFICATION}
    assert finding["remarks"] == JUSTIFICATION
    assert _prop(finding, "status") == "not_applicable"


def test_uuids_are_deterministic_v5_and_findings_keep_theirs(report: ReleaseReport) -> None:
    first = to_oscal_assessment_results(report, now=NOW)
    assert to_oscal_assessment_results(report, now=NOW) == first
    later = to_oscal_assessment_results(report, now=NOW + timedelta(days=1))
    assert later["assessment-results"]["uuid"] != first["assessment-results"]["uuid"]
    assert _findings(later)["GV-1.1"]["uuid"] == _findings(first)["GV-1.1"]["uuid"]
    uuids = _all_uuids(first)
    assert len(uuids) > 72 and all(uuid.UUID(u).version == 5 for u in uuids)


def test_an_empty_release_still_validates(report: ReleaseReport) -> None:
    document = to_oscal_assessment_results(replace(report, rows=()), now=NOW)
    assert schema_errors(document) == []
    selections = document["assessment-results"]["results"][0]["reviewed-controls"]
    assert selections["control-selections"] == [{"include-all": {}}]


def test_control_ids_become_oscal_tokens() -> None:
    assert [control_token(c) for c in ("GV-1.2", "mg-4.3", " MS-2.12 ")] == [
        "gv-1.2",
        "mg-4.3",
        "ms-2.12",
    ]


def test_a_naive_now_is_refused(report: ReleaseReport) -> None:
    with pytest.raises(ValueError, match="time zone"):
        to_oscal_assessment_results(report, now=NOW.replace(tzinfo=None))


def _all_uuids(node: Any) -> list[str]:
    """Every `uuid` and `observation-uuid` value in a document."""
    if isinstance(node, dict):
        own = [v for k, v in node.items() if k in ("uuid", "observation-uuid")]
        return own + [u for v in node.values() for u in _all_uuids(v)]
    if isinstance(node, list):
        return [u for v in node for u in _all_uuids(v)]
    return []
