"""`POST /webhooks/github` with GitHub's real payloads and headers, through the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.handlers import AUTOMATIC_EVENTS, github_router
from bot.main import create_app
from bot.settings import Settings
from control_catalog import load_bundled
from integrations.github.checklist import parse_ticks
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from tests.github_payloads import payload, post
from workflows.models import (
    Delivery,
    OutboxItem,
    Release,
    StatusChange,
    TrackerItem,
    Workspace,
    WorkspaceKind,
    WorkspaceState,
)
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.status import ControlStatus
from workflows.tasks import get_task
from workflows.tracking import sync_release

SECRET = "test-webhook-secret"
REPO = "o/r"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    settings = Settings(github_webhook_secret=SecretStr(SECRET), max_webhook_bytes=200_000)
    with TestClient(create_app(settings, engine=engine)) as result:
        yield result


@pytest.fixture
def tracked(session: Session) -> tuple[Release, InMemoryTracker]:
    """A release opened in o/r with an issue per control (parent is #1, GV-1.1 is #2)."""
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name=REPO, now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name="Atlas",
        version="2.0",
        actor="t",
        now=NOW,
        target_date=date(2026, 12, 15),
    )
    config = RepoConfig(granularity=Granularity.CONTROL)
    release.config, release.gate_sha = config.model_dump(mode="json"), "sha1"
    tracker = InMemoryTracker()
    sync_release(session=session, release=release, tracker=tracker, config=config, now=NOW)
    return release, tracker


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _status(session: Session, release: Release, control_id: str) -> ControlStatus:
    session.expire_all()
    return get_task(session=session, release=release, control_id=control_id).status


def _jobs(session: Session) -> set[str]:
    session.expire_all()
    return {j.kind for j in session.exec(select(OutboxItem)).all()}


# -- verification and bad input ---------------------------------------------------------------


def test_unsigned_and_forged_deliveries_get_401_and_store_nothing(
    client: TestClient, session: Session
) -> None:
    body = payload("ping/with-app_id.payload.json")
    assert post(client, "ping", body, secret=SECRET, signature="").status_code == 401
    forged = post(client, "ping", body, secret="not-the-secret")
    assert forged.status_code == 401 and forged.json() == {"detail": "signature does not match"}
    assert _count(session, Delivery) == 0


def test_without_a_configured_secret_nothing_is_accepted(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        answer = post(client, "ping", payload("ping/with-app_id.payload.json"), secret=SECRET)
    assert answer.status_code == 401 and "not configured" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("raw", "detail"), [(b"{not json", "malformed JSON"), (b"[1, 2]", "expected a JSON object")]
)
def test_malformed_json_is_400(client: TestClient, raw: bytes, detail: str) -> None:
    answer = post(client, "issues", raw, secret=SECRET)
    assert answer.status_code == 400 and answer.json()["detail"] == detail


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    big = json.dumps({"action": "opened", "padding": "x" * 300_000}).encode()
    assert post(client, "issues", big, secret=SECRET).status_code == 413


def test_missing_event_headers_are_400(client: TestClient) -> None:
    raw = b"{}"
    from bot.security import sign

    answer = client.post(
        "/webhooks/github", content=raw, headers={"X-Hub-Signature-256": sign(raw, SECRET)}
    )
    assert answer.status_code == 400


def test_a_payload_missing_what_the_event_needs_is_400(
    client: TestClient, session: Session
) -> None:
    body = payload("issues/reopened.payload.json")
    del body["issue"]["number"]
    answer = post(client, "issues", body, secret=SECRET)
    assert answer.status_code == 400 and "issue.number" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("event", "fixture", "reason"),
    [
        ("star", "ping/with-app_id.payload.json", "controlbot does not handle star"),
        ("issues", "issues/opened.payload.json", "controlbot does not handle issues.opened"),
        ("sub_issues", "sub_issues/sub_issue_added.json", "links are informational"),
    ],
)
def test_unknown_events_and_actions_are_ignored_with_a_reason(
    client: TestClient, event: str, fixture: str, reason: str
) -> None:
    answer = post(client, event, payload(fixture), secret=SECRET)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored" and reason in answer.json()["detail"]


def test_ping_is_answered(client: TestClient) -> None:
    answer = post(client, "ping", payload("ping/with-app_id.payload.json"), secret=SECRET)
    assert answer.status_code == 202 and answer.json()["detail"] == "pong"


# -- installations ------------------------------------------------------------------------------


def test_installation_events_keep_workspaces(client: TestClient, session: Session) -> None:
    created = payload("installation/created.payload.json", installation_id=77)
    assert post(client, "installation", created, secret=SECRET).status_code == 202
    names = {r["full_name"] for r in created["repositories"]}
    session.expire_all()
    workspaces = session.exec(select(Workspace)).all()
    assert {w.name for w in workspaces} == names and all(w.external_id == "77" for w in workspaces)
    post(
        client,
        "installation",
        payload("installation/suspend.payload.json", installation_id=77),
        secret=SECRET,
    )
    session.expire_all()
    assert {w.state for w in session.exec(select(Workspace)).all()} == {WorkspaceState.SUSPENDED}
    added = payload("installation_repositories/added.payload.json", installation_id=77)
    post(client, "installation_repositories", added, secret=SECRET)
    removed = payload("installation_repositories/removed.payload.json", installation_id=77)
    post(client, "installation_repositories", removed, secret=SECRET)
    session.expire_all()
    gone = {r["full_name"] for r in removed["repositories_removed"]}
    assert {
        w.name for w in session.exec(select(Workspace)).all() if w.state is WorkspaceState.REMOVED
    } == gone


# -- issues -------------------------------------------------------------------------------------


def test_closing_a_control_issue_marks_it_done_once(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    release, tracker = tracked
    writes = tracker.writes
    body = payload("issues/closed.completed.json", repo=REPO, number=2, sender="ana")
    first = post(client, "issues", body, secret=SECRET, delivery_id="d-1")
    again = post(client, "issues", body, secret=SECRET, delivery_id="d-1")
    assert first.status_code == 202 and "GV-1.1 -> done" in first.json()["detail"]
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert _status(session, release, "GV-1.1") is ControlStatus.DONE
    assert _count(session, StatusChange) == 1
    change = session.exec(select(StatusChange)).one()
    assert (change.actor, change.source.value) == ("ana", "webhook")
    assert _jobs(session) == {"item_state", "checklist", "gate"}
    assert tracker.writes == writes  # nothing written to the tracker on the request path


def test_events_caused_by_controlbot_change_nothing(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    release, _ = tracked
    body = payload(
        "issues/closed.completed.json",
        repo=REPO,
        number=2,
        sender="controlbot[bot]",
        sender_type="Bot",
    )
    answer = post(client, "issues", body, secret=SECRET)
    assert answer.status_code == 200 and "caused by controlbot" in answer.json()["detail"]
    assert _status(session, release, "GV-1.1") is ControlStatus.TODO


def test_closed_as_not_planned_looks_for_the_justification(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    body = payload("issues/closed.not_planned.json", repo=REPO, number=2, sender="ana")
    assert post(client, "issues", body, secret=SECRET).status_code == 202
    assert _jobs(session) == {"close_reason"}


def test_reopening_makes_the_control_todo(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    release, _ = tracked
    post(
        client,
        "issues",
        payload("issues/closed.completed.json", repo=REPO, number=2),
        secret=SECRET,
    )
    reopened = payload("issues/reopened.payload.json", repo=REPO, number=2)
    reopened["issue"]["updated_at"] = "2031-01-01T00:00:00Z"  # newer than the close
    assert post(client, "issues", reopened, secret=SECRET).status_code == 202
    assert _status(session, release, "GV-1.1") is ControlStatus.TODO


def test_an_issue_controlbot_did_not_make_is_ignored(
    client: TestClient, tracked: tuple[Release, InMemoryTracker]
) -> None:
    answer = post(
        client,
        "issues",
        payload("issues/closed.completed.json", repo=REPO, number=999),
        secret=SECRET,
    )
    assert answer.status_code == 200 and "not a control item" in answer.json()["detail"]


def test_ticking_a_box_in_the_tracker_marks_the_control_done(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    release, tracker = tracked
    old = tracker.by_key("atlas-2.0").body
    new = old.replace("- [ ] MP-1.1", "- [x] MP-1.1", 1)
    assert parse_ticks(new)["atlas-2.0:MP-1.1"] is True
    body = payload("issues/edited.payload.json", repo=REPO, number=1, sender="ana")
    body["issue"]["body"], body["changes"] = new, {"body": {"from": old}}
    answer = post(client, "issues", body, secret=SECRET)
    assert answer.status_code == 202 and "MP-1.1" in answer.json()["detail"]
    assert _status(session, release, "MP-1.1") is ControlStatus.DONE


# -- comments, checks, releases -----------------------------------------------------------------


def _comment(text: str, number: int = 2, sender: str = "ana") -> dict[str, object]:
    body = payload(
        "issue_comment/created.with-installation.payload.json",
        repo=REPO,
        number=number,
        sender=sender,
    )
    body["comment"]["body"] = text  # type: ignore[index]
    return body


def test_a_command_is_queued_for_the_worker(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    answer = post(
        client, "issue_comment", _comment("/controls na open-weights release only"), secret=SECRET
    )
    assert answer.status_code == 202
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "command"
    assert job.payload["name"] == "na" and job.payload["reason"] == "open-weights release only"
    assert job.payload["author"] == "ana" and job.payload["external_id"] == "o/r#2"


def test_snooze_is_queued_with_its_days(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    answer = post(client, "issue_comment", _comment("/controls snooze 7"), secret=SECRET)
    assert answer.status_code == 202
    job = session.exec(select(OutboxItem)).one()
    assert (job.kind, job.payload["name"], job.payload["days"]) == ("command", "snooze", 7)


def test_plain_comments_are_ignored_and_bad_commands_get_help(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    assert (
        post(client, "issue_comment", _comment("Looks good to me"), secret=SECRET).json()["status"]
        == "ignored"
    )
    assert (
        post(client, "issue_comment", _comment("/controls frobnicate"), secret=SECRET).status_code
        == 202
    )
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "comment" and "/controls done" in job.payload["body"]


def test_rerun_on_the_gate_reevaluates(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    body = payload("check_run/rerequested.payload.json", repo=REPO)
    body["check_run"]["head_sha"] = "sha1"
    assert post(client, "check_run", body, secret=SECRET).status_code == 202
    assert _jobs(session) == {"gate"}


def test_a_pull_request_to_the_release_branch_gets_the_gate(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    release, _ = tracked
    release.config = {
        **release.config,
        "gate": {"required": "all", "release_branch": "release/2.0"},
    }
    session.add(release)
    session.commit()
    body = payload("pull_request/opened.payload.json", repo=REPO)
    body["pull_request"]["base"]["ref"] = "release/2.0"
    body["pull_request"]["head"]["sha"] = "prsha"
    answer = post(client, "pull_request", body, secret=SECRET)
    assert answer.status_code == 202 and "gated by atlas-2.0" in answer.json()["detail"]
    session.expire_all()
    assert session.get(Release, release.id).pr_shas == ["prsha"]  # type: ignore[union-attr]
    assert _jobs(session) == {"gate"}
    other = payload("pull_request/opened.payload.json", repo=REPO)
    assert post(client, "pull_request", other, secret=SECRET).json()["status"] == "ignored"


def test_a_published_release_asks_to_open_one(client: TestClient, session: Session) -> None:
    body = payload("release/published.payload.json", repo="octo/atlas")
    assert post(client, "release", body, secret=SECRET).status_code == 202
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "start_release" and job.payload["only_if_configured"] is True
    assert job.payload["name"] == "atlas"


def test_manifest_events_match_the_router_both_ways() -> None:
    manifest = yaml.safe_load(Path("app.yml").read_text())
    assert set(manifest["default_events"]) == set(github_router.events()) - AUTOMATIC_EVENTS


def test_delivery_log_records_outcomes(
    client: TestClient, session: Session, tracked: tuple[Release, InMemoryTracker]
) -> None:
    post(
        client,
        "issues",
        payload("issues/opened.payload.json", repo=REPO),
        secret=SECRET,
        delivery_id="a",
    )
    post(
        client,
        "issues",
        payload("issues/closed.completed.json", repo=REPO, number=2),
        secret=SECRET,
        delivery_id="b",
    )
    session.expire_all()
    outcomes = {d.delivery_id: d.outcome.value for d in session.exec(select(Delivery)).all()}
    assert outcomes == {"a": "ignored", "b": "processed"}
    assert session.exec(select(TrackerItem)).first() is not None
