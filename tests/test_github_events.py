"""Parsing real GitHub webhook payloads (octokit examples) into frozen events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from integrations.github.events import (
    Actor,
    CheckRunEvent,
    CommentEvent,
    InstallationEvent,
    InstallationReposEvent,
    IssueEvent,
    PayloadError,
    PingEvent,
    PullRequestEvent,
    ReleaseEvent,
    Repo,
    SubIssuesEvent,
    is_self,
    parse_github_event,
)

FIXTURES = Path(__file__).parent / "fixtures" / "github"
HELLO = Repo("Codertocat/Hello-World", 186853002, "Codertocat", "master")
CODERTOCAT = Actor("Codertocat", 21031067, False)

EXPECTED_TYPES = {
    "issues/opened.payload.json": IssueEvent,
    "issues/edited.payload.json": IssueEvent,
    "issues/reopened.payload.json": IssueEvent,
    "issues/closed.completed.json": IssueEvent,
    "issues/closed.not_planned.json": IssueEvent,
    "issue_comment/created.with-installation.payload.json": CommentEvent,
    "installation/created.payload.json": InstallationEvent,
    "installation/deleted.payload.json": InstallationEvent,
    "installation/suspend.payload.json": InstallationEvent,
    "installation/unsuspend.payload.json": InstallationEvent,
    "installation_repositories/added.payload.json": InstallationReposEvent,
    "installation_repositories/removed.payload.json": InstallationReposEvent,
    "check_run/rerequested.payload.json": CheckRunEvent,
    "check_run/requested_action.payload.json": CheckRunEvent,
    "release/published.payload.json": ReleaseEvent,
    "sub_issues/sub_issue_added.json": SubIssuesEvent,
    "ping/with-app_id.payload.json": PingEvent,
    "pull_request/opened.payload.json": PullRequestEvent,
    "pull_request/synchronize.payload.json": PullRequestEvent,
    "pull_request/reopened.payload.json": PullRequestEvent,
}


def load(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture payload (safe to mutate)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def parse(name: str, payload: dict[str, Any] | None = None) -> Any:
    """Parse a fixture; the event name is its folder."""
    return parse_github_event(name.split("/")[0], load(name) if payload is None else payload)


def test_every_fixture_is_listed() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.json")}
    assert on_disk == set(EXPECTED_TYPES)


@pytest.mark.parametrize(("name", "kind"), sorted(EXPECTED_TYPES.items()))
def test_every_fixture_parses(name: str, kind: type) -> None:
    assert isinstance(parse(name), kind)


def test_issue_reopened_every_field() -> None:
    event = parse("issues/reopened.payload.json")
    assert event == IssueEvent(
        action="reopened",
        installation_id=1,
        repo=HELLO,
        issue=event.issue,
        sender=CODERTOCAT,
        previous_body=None,
        via_app_id=None,
    )
    issue = event.issue
    assert (issue.number, issue.id, issue.title) == (
        1,
        444500041,
        "Spelling error in the README file",
    )
    assert (issue.body, issue.state, issue.state_reason) == ("", "open", None)
    assert issue.html_url == "https://github.com/Codertocat/Hello-World/issues/1"
    assert issue.updated_at == datetime(2021, 10, 11, 16, 40, 56, tzinfo=UTC)
    assert issue.updated_at.utcoffset() is not None
    assert issue.labels == ("bug",)
    assert issue.is_pull_request is False


@pytest.mark.parametrize("reason", ["completed", "not_planned"])
def test_issue_closed_reasons(reason: str) -> None:
    event = parse(f"issues/closed.{reason}.json")
    assert (event.action, event.issue.state, event.issue.state_reason) == (
        "closed",
        "closed",
        reason,
    )


def test_issue_opened_without_installation() -> None:
    event = parse("issues/opened.payload.json")
    assert event.installation_id is None
    assert event.issue.body == "It looks like you accidently spelled 'commit' with two 't's."


def test_issue_edited_previous_body() -> None:
    assert parse("issues/edited.payload.json").previous_body is None  # octokit sends changes: {}
    payload = load("issues/edited.payload.json")
    payload["changes"] = {"body": {"from": "- [ ] GV-1.1"}}
    assert parse("issues/edited.payload.json", payload).previous_body == "- [ ] GV-1.1"


def test_issue_null_body_pull_request_and_app() -> None:
    payload = load("issues/reopened.payload.json")
    payload["issue"]["body"] = None
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    payload["issue"]["performed_via_github_app"] = {"id": 4242, "slug": "controlbot"}
    payload["sender"]["type"] = "Bot"
    event = parse("issues/reopened.payload.json", payload)
    assert event.issue.body == ""
    assert event.issue.is_pull_request is True
    assert event.via_app_id == 4242
    assert event.sender.is_bot is True


def test_issue_updated_at_offset_is_converted_to_utc() -> None:
    payload = load("issues/opened.payload.json")
    payload["issue"]["updated_at"] = "2026-01-01T02:00:00+02:00"
    event = parse("issues/opened.payload.json", payload)
    assert event.issue.updated_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert event.issue.updated_at.tzinfo is UTC


def test_comment_created_every_field() -> None:
    event = parse("issue_comment/created.with-installation.payload.json")
    assert event.action == "created"
    assert event.installation_id == 1
    assert event.repo == HELLO
    assert event.issue.number == 1
    assert event.issue.updated_at == datetime(2019, 5, 15, 15, 20, 21, tzinfo=UTC)
    assert event.comment_id == 492700400
    assert event.body == "You are totally right! I'll get this fixed right away."
    assert event.author == CODERTOCAT
    assert event.via_app_id is None


def test_comment_via_app() -> None:
    payload = load("issue_comment/created.with-installation.payload.json")
    payload["comment"]["performed_via_github_app"] = {"id": 7}
    payload["comment"]["body"] = None
    event = parse("issue_comment/created.with-installation.payload.json", payload)
    assert (event.via_app_id, event.body) == (7, "")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "installation/created.payload.json",
            InstallationEvent(
                "created", 957387, "Codertocat", "User", ("Codertocat/Hello-World",), CODERTOCAT
            ),
        ),
        (
            "installation/deleted.payload.json",
            InstallationEvent(
                "deleted",
                2,
                "octocat",
                "User",
                ("octocat/Hello-World",),
                Actor("octocat", 1, False),
            ),
        ),
        (
            "installation/suspend.payload.json",
            InstallationEvent("suspend", 16598467, "Codertocat", "User", (), CODERTOCAT),
        ),
        (
            "installation/unsuspend.payload.json",
            InstallationEvent("unsuspend", 16598467, "Codertocat", "User", (), CODERTOCAT),
        ),
    ],
)
def test_installation_events(name: str, expected: InstallationEvent) -> None:
    assert parse(name) == expected


def test_installation_account_type_falls_back_to_target_type() -> None:
    payload = load("installation/suspend.payload.json")
    del payload["installation"]["account"]["type"]
    assert parse("installation/suspend.payload.json", payload).account_type == "Organization"


def test_installation_repositories() -> None:
    added = parse("installation_repositories/added.payload.json")
    assert added == InstallationReposEvent(
        "added", 957387, "Codertocat", ("Codertocat/Space",), (), CODERTOCAT
    )
    removed = parse("installation_repositories/removed.payload.json")
    assert removed == InstallationReposEvent(
        "removed", 2, "octocat", (), ("octocat/Hello-World",), Actor("octocat", 1, False)
    )


def test_check_run_rerequested() -> None:
    assert parse("check_run/rerequested.payload.json") == CheckRunEvent(
        action="rerequested",
        installation_id=1,
        repo=Repo("github/hello-world", 526, "github", "master"),
        check_run_id=4,
        name="randscape",
        head_sha="d6fde92930d4715a2b49857d24b940956b26d2d3",
        external_id=None,  # "" in the payload
        requested_action=None,
        app_id=2,
        sender=Actor("octocat", 5346, False),
    )


def test_check_run_requested_action() -> None:
    event = parse("check_run/requested_action.payload.json")
    assert event.requested_action == "lgtm|26764"
    assert (event.check_run_id, event.name, event.app_id) == (1494503112, "API Review", 25811)
    assert event.installation_id == 690857
    assert event.repo.full_name == "electron/electron"
    assert event.sender == Actor("codebytere", 2036040, False)


def test_check_run_external_id_kept() -> None:
    payload = load("check_run/rerequested.payload.json")
    payload["check_run"]["external_id"] = "atlas-2.0"
    assert parse("check_run/rerequested.payload.json", payload).external_id == "atlas-2.0"


def test_release_published() -> None:
    assert parse("release/published.payload.json") == ReleaseEvent(
        action="published",
        installation_id=None,
        repo=HELLO,
        tag_name="0.0.1",
        name=None,  # "" in the payload
        draft=False,
        prerelease=False,
        target_commitish="master",
        html_url="https://github.com/Codertocat/Hello-World/releases/tag/0.0.1",
        sender=CODERTOCAT,
    )


def test_sub_issue_added() -> None:
    assert parse("sub_issues/sub_issue_added.json") == SubIssuesEvent(
        action="sub_issue_added",
        installation_id=1,
        repo=HELLO,
        parent_number=1,
        sub_issue_number=2,
        sub_issue_id=444500042,
        sender=CODERTOCAT,
    )


def test_sub_issues_optional_parts_missing() -> None:
    event = parse_github_event("sub_issues", {"action": "parent_issue_removed"})
    assert event == SubIssuesEvent("parent_issue_removed", None, None, None, None, None, None)
    only_child = {"action": "sub_issue_removed", "sub_issue": {"id": 9, "number": 3}}
    event = parse_github_event("sub_issues", only_child)
    assert isinstance(event, SubIssuesEvent)
    assert (event.sub_issue_id, event.sub_issue_number) == (9, 3)


def test_ping() -> None:
    assert parse("ping/with-app_id.payload.json") == PingEvent(
        109948940, "Anything added dilutes everything else.", 29310
    )
    assert parse_github_event("ping", {"zen": "z"}) == PingEvent(None, "z", None)


@pytest.mark.parametrize("event", ["push", "pull_request_review", "check_suite", "create", ""])
def test_unhandled_events_give_none(event: str) -> None:
    assert parse_github_event(event, {"action": "opened"}) is None


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        payload = payload[key]
    if value is KeyError:
        del payload[last]
    else:
        payload[last] = value


@pytest.mark.parametrize(
    ("name", "path", "value", "message"),
    [
        ("issues/reopened.payload.json", "issue.number", KeyError, "issue.number: missing"),
        (
            "issues/reopened.payload.json",
            "issue.number",
            "1",
            "issue.number: expected integer, got str",
        ),
        (
            "issues/reopened.payload.json",
            "issue.number",
            True,
            "issue.number: expected integer, got bool",
        ),
        ("issues/reopened.payload.json", "issue", None, "issue: expected object, got null"),
        ("issues/reopened.payload.json", "action", KeyError, "action: missing"),
        ("issues/reopened.payload.json", "sender", KeyError, "sender: missing"),
        ("issues/reopened.payload.json", "sender.login", 5, "sender.login: expected string"),
        ("issues/reopened.payload.json", "repository.owner", "x", "repository.owner: expected"),
        ("issues/reopened.payload.json", "installation.id", KeyError, "installation.id: missing"),
        ("issues/reopened.payload.json", "issue.labels", "bug", "issue.labels: expected array"),
        ("issues/reopened.payload.json", "issue.labels", ["bug"], r"issue.labels\[0\]: expected"),
        ("issues/reopened.payload.json", "issue.updated_at", "soon", "issue.updated_at: not a"),
        ("issues/edited.payload.json", "changes", [], "changes: expected object, got list"),
        (
            "issue_comment/created.with-installation.payload.json",
            "comment.id",
            KeyError,
            "comment.id: missing",
        ),
        (
            "issue_comment/created.with-installation.payload.json",
            "comment.user",
            None,
            "comment.user: expected object, got null",
        ),
        ("installation/created.payload.json", "installation.id", 1.5, "installation.id: expected"),
        ("installation/created.payload.json", "repositories", {}, "repositories: expected array"),
        (
            "installation_repositories/added.payload.json",
            "installation.account",
            KeyError,
            "installation.account: missing",
        ),
        ("check_run/rerequested.payload.json", "check_run.head_sha", KeyError, "head_sha: miss"),
        ("check_run/requested_action.payload.json", "requested_action", {}, "identifier: miss"),
        ("release/published.payload.json", "release.draft", "no", "release.draft: expected bool"),
        ("release/published.payload.json", "release.tag_name", KeyError, "release.tag_name: miss"),
        ("sub_issues/sub_issue_added.json", "parent_issue", [], "parent_issue: expected object"),
        ("ping/with-app_id.payload.json", "hook.app_id", "x", "hook.app_id: expected integer"),
    ],
)
def test_malformed_payloads_name_the_path(name: str, path: str, value: Any, message: str) -> None:
    payload = load(name)
    _set(payload, path, value)
    with pytest.raises(PayloadError, match=message):
        parse(name, payload)


@pytest.mark.parametrize("payload", [[], "x", None, 3])
def test_non_object_payload(payload: Any) -> None:
    with pytest.raises(PayloadError, match="payload: expected object"):
        parse_github_event("issues", payload)


def test_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


BOT = Actor("ControlBot[bot]", 99, True)


@pytest.mark.parametrize(
    ("actor", "kwargs", "expected"),
    [
        (BOT, {}, True),
        (Actor("controlbot[bot]", 99, True), {}, True),
        (Actor("controlbot[bot]", 99, False), {}, False),  # a user cannot be our bot
        (Actor("controlbot", 99, True), {}, False),
        (Actor("otherbot[bot]", 98, True), {}, False),
        (CODERTOCAT, {}, False),
        (CODERTOCAT, {"via_app_id": 4242, "app_id": 4242}, True),
        (CODERTOCAT, {"via_app_id": 1, "app_id": 4242}, False),
        (CODERTOCAT, {"via_app_id": None, "app_id": 4242}, False),
        (CODERTOCAT, {"via_app_id": 4242, "app_id": None}, False),
        (None, {}, False),
        (None, {"via_app_id": 4242, "app_id": 4242}, True),
    ],
)
def test_is_self(actor: Actor | None, kwargs: dict[str, Any], expected: bool) -> None:
    assert is_self(actor, app_slug="controlbot", **kwargs) is expected


def test_events_are_frozen() -> None:
    event = parse("issues/reopened.payload.json")
    with pytest.raises(AttributeError):
        event.action = "closed"


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened"])
def test_pull_request_every_field(action: str) -> None:
    assert parse(f"pull_request/{action}.payload.json") == PullRequestEvent(
        action=action,
        installation_id=1,
        repo=HELLO,
        number=2,
        head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        base_ref="master",
        sender=CODERTOCAT,
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("pull_request.head.sha", KeyError, "pull_request.head.sha: missing"),
        ("pull_request.head.sha", None, "pull_request.head.sha: expected string, got null"),
        ("pull_request.head", KeyError, "pull_request.head: missing"),
        ("pull_request.base.ref", 3, "pull_request.base.ref: expected string, got int"),
        ("pull_request.number", "2", "pull_request.number: expected integer, got str"),
        ("pull_request", KeyError, "pull_request: missing"),
    ],
)
def test_pull_request_malformed_names_the_path(path: str, value: Any, message: str) -> None:
    payload = load("pull_request/synchronize.payload.json")
    _set(payload, path, value)
    with pytest.raises(PayloadError, match=message):
        parse("pull_request/synchronize.payload.json", payload)
