"""Redelivery storms and out-of-order deliveries: one audit row, and the newest state wins."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import load_bundled
from integrations.jira import JiraProjectConfig
from tests.conftest import NOW
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.jira.webhooks import post as jira_post
from tests.fakes.serving import serve_in_thread
from tests.faults.world import (
    SECRET,
    Clock,
    drain_until_settled,
    fast_tracker_for,
    github_settings,
    issue_body,
    issue_numbers,
    open_release,
    seed_repo,
)
from tests.github_payloads import post
from workflows.jira_setup import save_project
from workflows.models import ControlTask, Delivery, ItemKind, Release, StatusChange, TrackerItem
from workflows.releases import create_release
from workflows.status import ControlStatus
from workflows.tasks import get_task

REPO = "octo/storm"
JIRA_SECRET = "jira-storm-secret"
JIRA_FIXTURES = Path(__file__).parents[1] / "fixtures" / "jira"


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    """One fake GitHub for the module."""
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    """The fake served on loopback."""
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@pytest.fixture
def github(engine: Engine, fake: FakeGitHub, base: str) -> Iterator[TestClient]:
    """The app, with a 72-control release open in the fake GitHub."""
    fake.reset()
    seed_repo(fake, REPO)
    settings = github_settings(fake, base)
    open_release(engine, settings, REPO)
    drain_until_settled(engine, fast_tracker_for(fake, base), Clock())
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _status(engine: Engine, control_id: str) -> ControlStatus:
    with Session(engine) as session:
        task = session.exec(select(ControlTask).where(ControlTask.control_id == control_id)).one()
        return task.status


def test_the_same_delivery_100_times_is_one_audit_row(
    engine: Engine, fake: FakeGitHub, github: TestClient
) -> None:
    number = issue_numbers(engine)["GV-1.1"]
    deliveries = _count(engine, Delivery)
    fake.user_edit_issue(REPO, number, author="ana", state="closed", state_reason="completed")
    body = json.dumps(issue_body(fake, REPO, number)).encode()
    answers = [
        post(github, "issues", body, secret=SECRET, delivery_id="storm-1") for _ in range(100)
    ]
    assert answers[0].status_code == 202
    assert {(a.status_code, a.json()["status"]) for a in answers[1:]} == {(200, "duplicate")}
    assert _count(engine, Delivery) == deliveries + 1
    assert _count(engine, StatusChange) == 1
    assert _status(engine, "GV-1.1") is ControlStatus.DONE


def test_deliveries_in_reverse_order_leave_the_newest_state(
    engine: Engine, fake: FakeGitHub, github: TestClient
) -> None:
    number = issue_numbers(engine)["MS-2.7"]
    bodies: list[dict[str, Any]] = []
    for state in ("closed", "open", "closed", "open", "closed"):
        fake.advance_clock(5)  # GitHub's timestamps have whole seconds
        reason = "completed" if state == "closed" else None
        fake.user_edit_issue(REPO, number, author="ana", state=state, state_reason=reason)
        bodies.append(issue_body(fake, REPO, number))
    for body in reversed(bodies):
        answer = post(github, "issues", copy.deepcopy(body), secret=SECRET)
        assert answer.status_code in (200, 202), answer.text
    assert _status(engine, "MS-2.7") is ControlStatus.DONE
    assert _count(engine, StatusChange) == 1  # the older ones were stale
    # And the other way round: the newest is a reopen, delivered first.
    fake.advance_clock(5)
    fake.user_edit_issue(REPO, number, author="ana", state="open", state_reason=None)
    newest = issue_body(fake, REPO, number)
    assert post(github, "issues", newest, secret=SECRET).status_code == 202
    reopened = _status(engine, "MS-2.7")
    assert reopened is not ControlStatus.DONE
    for body in reversed(bodies):
        post(github, "issues", copy.deepcopy(body), secret=SECRET)
    assert _status(engine, "MS-2.7") is reopened


# -- Jira --------------------------------------------------------------------------------------


def _jira(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((JIRA_FIXTURES / name).read_text())
    return data


@pytest.fixture
def jira(engine: Engine) -> Iterator[TestClient]:
    """The app with a Jira release whose GV-1.2 is CTRL-42 (as in the recorded payloads)."""
    with Session(engine, expire_on_commit=False) as session:
        config = JiraProjectConfig("CTRL", deployment="cloud")
        workspace = save_project(
            session=session, name="site/CTRL", config=config, ids=["557058:bot"], now=NOW
        )
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=load_bundled("gpai-profile@1.2"),
            name="gpt-5",
            version="2026.1",
            actor="t",
            now=NOW,
        )
        _item(session, release, "GV-1.2", "CTRL-42", "10042")
        session.commit()
    settings = Settings(jira_webhook_secret=SecretStr(JIRA_SECRET))
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def _item(session: Session, release: Release, control_id: str, key: str, ident: str) -> None:
    assert release.id is not None
    task = get_task(session=session, release=release, control_id=control_id)
    session.add(
        TrackerItem(
            release_id=release.id,
            task_id=task.id,
            tracker="jira",
            kind=ItemKind.CONTROL,
            key=task.key,
            external_id=key,
            internal_id=ident,
            created_at=NOW,
            updated_at=NOW,
        )
    )


def test_jira_late_older_updates_change_nothing(engine: Engine, jira: TestClient) -> None:
    done = _jira("issue_updated_status.json")
    for _ in range(100):
        jira_post(jira, done, secret=JIRA_SECRET, identifier="jira-storm")
    assert _count(engine, Delivery) == 1 and _count(engine, StatusChange) == 1
    in_progress = done["issue"]["fields"]["parent"]["fields"]["status"]
    for minutes in range(1, 21):  # twenty late, older events, newest first
        late = copy.deepcopy(done)
        late["timestamp"] -= int(timedelta(minutes=minutes).total_seconds() * 1000)
        late["issue"]["fields"]["status"] = copy.deepcopy(in_progress)
        late["issue"]["fields"]["resolution"] = None
        answer = jira_post(jira, late, secret=JIRA_SECRET)
        assert answer.status_code == 200 and "stale" in answer.json()["detail"]
    assert _status(engine, "GV-1.2") is ControlStatus.DONE
    assert _count(engine, StatusChange) == 1
