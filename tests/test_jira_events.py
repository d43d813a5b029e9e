"""The pure Jira webhook parser over real-shaped Cloud and Data Center payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from integrations.jira.events import (
    JiraCommentCreated,
    JiraIssueChanged,
    JiraIssueDeleted,
    MalformedJiraEvent,
    StatusChange,
    parse_jira_event,
)
from integrations.jira.mapping import key_from_labels, key_label
from integrations.tracker import WorkState

FIXTURES = Path(__file__).parent / "fixtures" / "jira"


def load(name: str) -> dict[str, Any]:
    """One fixture payload."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_cloud_status_change_to_done() -> None:
    """Cloud: accountId actor, ms timestamp, changelog status ids, done + Done -> DONE."""
    event = parse_jira_event(load("issue_updated_status.json"))
    assert isinstance(event, JiraIssueChanged)
    assert (event.webhook_event, event.issue_key, event.issue_id) == (
        "jira:issue_updated",
        "CTRL-42",
        "10042",
    )
    assert event.timestamp == datetime(2026, 11, 28, 9, 2, 3, 456000, tzinfo=UTC)
    assert event.actor == "712020:3f9c6a1e-5b0d-4c55-9a57-2d1f3c7b8e10"
    assert event.status_change == StatusChange("10001", "In Progress", "10002", "Done")
    assert (event.status_name, event.status_category, event.resolution) == ("Done", "done", "Done")
    assert event.state is WorkState.DONE
    assert event.item_key == "gpt-5-2026.1:GV-1.2"


def test_dc_status_change_to_wont_do_is_not_applicable() -> None:
    """DC: `name` actor, changelog items without fieldId; Won't Do resolution -> N/A."""
    event = parse_jira_event(load("issue_updated_status_dc.json"))
    assert isinstance(event, JiraIssueChanged)
    assert (event.issue_key, event.actor) == ("RISK-803", "m.okafor")
    assert event.status_change == StatusChange("10000", "To Do", "10003", "Won't Do")
    assert event.state is WorkState.NOT_APPLICABLE
    assert event.item_key == "llm-7b-3.0:MP-4.1"
    custom = parse_jira_event(load("issue_updated_status_dc.json"), na_resolutions=["Obsolete"])
    assert isinstance(custom, JiraIssueChanged) and custom.state is WorkState.DONE


def test_update_without_status_change_keeps_current_state() -> None:
    """A description/labels edit has no status change but still reports the current state."""
    event = parse_jira_event(load("issue_updated_no_status.json"))
    assert isinstance(event, JiraIssueChanged)
    assert event.status_change is None
    assert event.state is WorkState.IN_PROGRESS
    assert event.labels == ("controlbot", "controlbot:gpt-5-2026.1:GV-1.3", "needs-legal")


def test_status_override_maps_a_status_back_to_its_state() -> None:
    """A per-project override naming the current status wins over the category."""
    payload = load("issue_updated_no_status.json")
    event = parse_jira_event(payload, status_overrides={WorkState.BLOCKED: "in progress"})
    assert isinstance(event, JiraIssueChanged) and event.state is WorkState.BLOCKED


def test_capitalised_status_item_and_custom_status_field() -> None:
    """Cloud may spell the field `Status` (fieldId decides); a custom "Status" field is ignored."""
    payload = load("issue_updated_no_status.json")
    payload["changelog"]["items"] = [
        {"field": "Status", "fieldtype": "custom", "fieldId": "customfield_10077", "to": "x"},
        {"field": "Status", "fieldtype": "jira", "fieldId": "status", "from": None, "to": "10000"},
    ]
    event = parse_jira_event(payload)
    assert isinstance(event, JiraIssueChanged)
    assert event.status_change == StatusChange(None, None, "10000", None)


def test_issue_created_is_a_change() -> None:
    """`jira:issue_created` parses like an update."""
    payload = load("issue_updated_no_status.json")
    payload["webhookEvent"] = "jira:issue_created"
    event = parse_jira_event(payload)
    assert isinstance(event, JiraIssueChanged) and event.webhook_event == "jira:issue_created"


def test_issue_deleted() -> None:
    """Deletion keeps key, id, actor and labels."""
    event = parse_jira_event(load("issue_deleted.json"))
    assert isinstance(event, JiraIssueDeleted)
    assert (event.issue_key, event.issue_id, event.actor) == (
        "CTRL-44",
        "10044",
        "5b10ac8d82e05b22cc7d4ef5",
    )
    assert event.item_key == "gpt-5-2026.1:MS-2.7"
    assert event.timestamp == datetime(2026, 12, 1, 16, 45, 9, 731000, tzinfo=UTC)


def test_comment_created() -> None:
    """A Cloud comment event carries the issue; the body is plain text on REST v2."""
    event = parse_jira_event(load("comment_created.json"))
    assert event == JiraCommentCreated(
        issue_key="CTRL-42",
        issue_id="10042",
        comment_id="10310",
        body="Evidence: the legal register is linked in Confluence. /controls done",
        author="712020:3f9c6a1e-5b0d-4c55-9a57-2d1f3c7b8e10",
        timestamp=datetime(2026, 12, 2, 11, 20, 44, 18000, tzinfo=UTC),
    )


def test_old_dc_comment_without_issue_and_adf_body() -> None:
    """Without `issue` the id comes from the comment URL; an ADF body is flattened to text."""
    payload = load("comment_created.json")
    del payload["issue"]
    payload["comment"]["author"] = {"name": "m.okafor", "key": "JIRAUSER10417"}
    payload["comment"]["body"] = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "first"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "second"}]},
        ],
    }
    event = parse_jira_event(payload)
    assert isinstance(event, JiraCommentCreated)
    assert (event.issue_key, event.issue_id, event.author) == (None, "10042", "m.okafor")
    assert event.body == "first\nsecond"


@pytest.mark.parametrize("name", ["jira:version_released", "comment_deleted", "sprint_started"])
def test_unhandled_events_are_none(name: str) -> None:
    """Events controlbot does not handle parse to None."""
    payload = load("issue_updated_no_status.json")
    payload["webhookEvent"] = name
    assert parse_jira_event(payload) is None
    assert parse_jira_event({}) is None


@pytest.mark.parametrize(
    ("path", "value"),
    [(("issue", "key"), None), (("timestamp",), "soon"), (("timestamp",), None)],
)
def test_malformed_payloads_raise(path: tuple[str, ...], value: Any) -> None:
    """A handled event missing what we need raises MalformedJiraEvent (a ValueError)."""
    payload = copy.deepcopy(load("issue_updated_status.json"))
    target = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(MalformedJiraEvent):
        parse_jira_event(payload)


@pytest.mark.parametrize(
    "key", ["gpt-5-2026.1:GV-1.2", "my release:MP 4.1", "50%/done", "ünïcode:x", "a\"b'c"]
)
def test_key_label_round_trip(key: str) -> None:
    """Key labels have no spaces or quotes and decode to the exact key."""
    label = key_label(key)
    assert " " not in label and '"' not in label and "'" not in label
    assert key_from_labels(["controlbot", "other", label]) == key
    assert key_from_labels(["controlbot", "controlbot:"]) is None


def test_key_label_too_long() -> None:
    """Jira caps labels at 255 characters."""
    with pytest.raises(ValueError, match="too long"):
        key_label("x" * 250)
