"""End to end over real HTTP: install, start by comment, close, tick, the gate turns green.

The app receives GitHub's real payload shapes, signed; the worker writes to the fake GitHub
through PyGithub with a real App JWT and installation token.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from integrations.github.checklist import parse_ticks
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from tests.github_payloads import payload, post
from tests.support import settle_outbox
from workflows.models import ControlTask, Release, TrackerItem
from workflows.status import ControlStatus

SECRET = "e2e-secret"
INSTALLATION = 5150
REPO = "octo/atlas"
CONFIG = "granularity: high\nlabels: [ai-risk]\n"


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@dataclass
class World:
    """The app, its database, and the fake GitHub it talks to."""

    client: TestClient
    engine: Engine
    fake: FakeGitHub
    app: Any

    def work(self) -> None:
        """Run the outbox until it is empty, as the scheduler would."""
        settle_outbox(self.engine, self.app.state.trackers.for_workspace)

    def deliver(self, event: str, body: dict[str, Any]) -> Any:
        answer = post(self.client, event, body, secret=SECRET)
        assert answer.status_code in (200, 202), answer.text
        return answer

    def issues(self) -> dict[int, Any]:
        return dict(self.fake.repo(REPO).issues)

    def comment(self, number: int, text: str, author: str = "ana") -> None:
        """A person comments; GitHub sends issue_comment.created."""
        stored = self.fake.seed_comment(REPO, number, text, author=author)
        body = payload(
            "issue_comment/created.with-installation.payload.json",
            repo=REPO,
            number=number,
            installation_id=INSTALLATION,
            sender=author,
        )
        body["comment"]["id"], body["comment"]["body"] = stored.id, text
        self.deliver("issue_comment", body)


@pytest.fixture
def world(engine: Engine, fake: FakeGitHub, base: str) -> Iterator[World]:
    fake.reset()
    fake.add_installation(INSTALLATION, "octo")
    fake.add_repo(REPO, installation_id=INSTALLATION, files={".github/controlbot.yml": CONFIG})
    fake.set_permission(REPO, "ana", "write")
    fake.set_permission(REPO, "mallory", "read")
    fake.set_permission(REPO, "bob", "triage")
    settings = Settings(
        github_webhook_secret=SecretStr(SECRET),
        github_app_id=fake.app_id,
        github_app_slug=fake.slug,
        github_private_key=SecretStr(fake.private_key_pem),
        github_api_url=base,
        github_write_interval=0.0,
    )
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield World(client, engine, fake, app)


def _install(world: World) -> None:
    body = payload("installation/created.payload.json", installation_id=INSTALLATION)
    body["repositories"] = [
        {"id": 1, "node_id": "R_1", "name": "atlas", "full_name": REPO, "private": True}
    ]
    world.deliver("installation", body)


def _issue_event(world: World, action: str, number: int, **top: Any) -> None:
    """A person changed an issue; GitHub sends issues.<action> with the issue as it is now."""
    stored = world.issues()[number]
    body = payload(
        f"issues/{'closed.completed.json' if action == 'closed' else action + '.payload.json'}",
        repo=REPO,
        number=number,
        installation_id=INSTALLATION,
        sender="ana",
    )
    body["issue"].update(
        state=stored.state,
        state_reason=stored.state_reason,
        body=stored.body,
        updated_at=datetime.fromtimestamp(stored.updated_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    body.update(top)
    world.deliver("issues", body)


def _tasks(world: World) -> dict[str, ControlStatus]:
    with Session(world.engine) as session:
        return {t.control_id: t.status for t in session.exec(select(ControlTask)).all()}


def _number(world: World, control_id: str) -> int:
    with Session(world.engine) as session:
        task = session.exec(select(ControlTask).where(ControlTask.control_id == control_id)).one()
        item = session.exec(select(TrackerItem).where(TrackerItem.task_id == task.id)).one()
        return int((item.external_id or "").rsplit("#", 1)[1])


def test_a_release_from_comment_to_green_gate(world: World) -> None:
    _install(world)
    planning = world.fake.seed_issue(REPO, "Plan the Atlas 2.0 release", author="ana")
    world.comment(
        planning.number, "/controls start Atlas 2.0 --priority high --target-date 2026-12-15"
    )
    world.work()

    # The release is open: a parent tracker plus one issue per (high-priority) control.
    statuses = _tasks(world)
    assert len(statuses) == 12 and set(statuses.values()) == {ControlStatus.TODO}
    issues = world.issues()
    parent = next(i for i in issues.values() if i.title == "Profile controls: Atlas 2.0")
    children = [i for i in issues.values() if i.parent_id == parent.id]
    assert len(children) == 12 == len(parent.sub_issue_ids)
    assert all("ai-risk" in i.labels for i in children)
    assert len(parse_ticks(parent.body)) == 12
    replies = [
        c.body for c in world.fake.repo(REPO).comments.values() if c.issue_number == planning.number
    ]
    assert any("Opening **atlas-2.0**" in r or "Starting release" in r for r in replies)
    (gate,) = world.fake.repo(REPO).check_runs.values()
    assert gate.name == "Profile controls" and gate.conclusion == "action_required"

    # Someone closes one control's issue in GitHub.
    first = _number(world, "MP-1.1")
    world.fake.user_edit_issue(REPO, first, author="ana", state="closed", state_reason="completed")
    _issue_event(world, "closed", first)
    # Someone ticks another control's box in the parent tracker.
    old = world.issues()[parent.number].body
    new = old.replace("- [ ] MS-1.1", "- [x] MS-1.1", 1)
    world.fake.user_edit_issue(REPO, parent.number, author="ana", body=new)
    _issue_event(world, "edited", parent.number, changes={"body": {"from": old}})
    world.work()

    statuses = _tasks(world)
    assert statuses["MP-1.1"] is ControlStatus.DONE and statuses["MS-1.1"] is ControlStatus.DONE
    issues = world.issues()
    assert issues[_number(world, "MS-1.1")].state == "closed"  # the child followed the tick
    ticks = parse_ticks(issues[parent.number].body)
    assert sum(ticks.values()) == 2  # the checklist followed the close

    # Assigning a control records its owner and assigns its issue.
    world.comment(parent.number, "/controls assign MG-2.4 @bob")
    world.work()
    assert world.issues()[_number(world, "MG-2.4")].assignees == ["bob"]
    with Session(world.engine) as session:
        owner = session.exec(select(ControlTask).where(ControlTask.control_id == "MG-2.4")).one()
        assert owner.owner == "bob"
    world.comment(parent.number, "/controls assign MG-2.4 @stranger")
    world.work()
    assert world.issues()[_number(world, "MG-2.4")].assignees == ["bob"]
    assert any("Issue.assignees invalid" in c.body for c in world.fake.repo(REPO).comments.values())
    # A reader may not run commands; a writer closes the rest with commands.
    world.comment(_number(world, "GV-4.2"), "/controls done", author="mallory")
    world.work()
    assert _tasks(world)["GV-4.2"] is ControlStatus.TODO
    for control_id, status in _tasks(world).items():
        if status is ControlStatus.TODO:
            world.comment(_number(world, control_id), "/controls done")
    world.work()

    assert set(_tasks(world).values()) == {ControlStatus.DONE}
    issues = world.issues()
    assert all(i.state == "closed" for i in issues.values() if i.parent_id == parent.id)
    assert all(parse_ticks(issues[parent.number].body).values())
    (gate,) = world.fake.repo(REPO).check_runs.values()
    assert gate.conclusion == "success"
    with Session(world.engine) as session:
        release = session.exec(select(Release)).one()
        assert release.gate_sha == world.fake.repo(REPO).head_sha
    refusals = [
        c.body
        for c in world.fake.repo(REPO).comments.values()
        if "only people with write access" in c.body
    ]
    assert len(refusals) == 1


def test_a_redelivered_close_changes_nothing_twice(world: World) -> None:
    _install(world)
    planning = world.fake.seed_issue(REPO, "Plan", author="ana")
    world.comment(planning.number, "/controls start Atlas 2.0 --priority high")
    world.work()
    number = _number(world, "MG-2.4")
    world.fake.user_edit_issue(REPO, number, author="ana", state="closed", state_reason="completed")
    body = payload(
        "issues/closed.completed.json",
        repo=REPO,
        number=number,
        installation_id=INSTALLATION,
        sender="ana",
    )
    first = post(world.client, "issues", body, secret=SECRET, delivery_id="same")
    second = post(world.client, "issues", copy.deepcopy(body), secret=SECRET, delivery_id="same")
    assert (first.status_code, second.json()["status"]) == (202, "duplicate")
    world.work()
    assert _tasks(world)["MG-2.4"] is ControlStatus.DONE


def test_cli_opens_a_release_in_a_repository(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli import run_cli

    settings = world.app.state.settings
    for name, value in {
        "CONTROLBOT_DATABASE_URL": db_url,
        "CONTROLBOT_GITHUB_APP_ID": str(world.fake.app_id),
        "CONTROLBOT_GITHUB_APP_SLUG": world.fake.slug,
        "CONTROLBOT_GITHUB_PRIVATE_KEY": world.fake.private_key_pem,
        "CONTROLBOT_GITHUB_API_URL": settings.github_api_url,
        "CONTROLBOT_GITHUB_WRITE_INTERVAL": "0",
    }.items():
        monkeypatch.setenv(name, value)
    world.fake.set_tag(REPO, "v3.0")
    result = run_cli(
        capsys,
        "release",
        "create",
        "--repo",
        REPO,
        "--name",
        "Atlas",
        "--version",
        "3.0",
        "--ref",
        "v3.0",
    )
    assert result.code == 0, result.err
    assert "opened release atlas-3.0 in octo/atlas: 13 issues" in result.out  # parent + 12 high
    assert len(world.issues()) == 13
    (gate,) = world.fake.repo(REPO).check_runs.values()
    assert gate.head_sha == world.fake.repo(REPO).head_sha and gate.conclusion == "action_required"
    again = run_cli(
        capsys, "release", "create", "--repo", REPO, "--name", "Atlas", "--version", "3.0"
    )
    assert again.code == 1 and "already exists" in again.err and len(world.issues()) == 13
    bad = run_cli(capsys, "release", "create", "--repo", "nope", "--name", "A", "--version", "1")
    assert bad.code == 1 and "OWNER/NAME" in bad.err


def _published(world: World, tag: str, prerelease: bool = False) -> None:
    world.fake.set_tag(REPO, tag)
    body = payload(
        "release/published.payload.json", repo=REPO, installation_id=INSTALLATION, sender="ana"
    )
    body["release"].update(tag_name=tag, prerelease=prerelease, draft=False)
    body["installation"] = {"id": INSTALLATION, "node_id": "x"}
    world.deliver("release", body)
    world.work()


def test_a_published_release_opens_one_only_when_configured(world: World) -> None:
    _install(world)
    _published(world, "v1.0")
    assert world.issues() == {}
    world.fake.set_file(
        REPO, ".github/controlbot.yml", "open_on_release: true\ngranularity: checklist\n"
    )
    _published(world, "v1.1-rc1", prerelease=True)
    assert world.issues() == {}
    _published(world, "v1.1")
    (parent,) = world.issues().values()
    assert parent.title == "Profile controls: atlas 1.1" and len(parse_ticks(parent.body)) == 72


def test_a_bad_config_is_shown_on_the_tracker_and_the_gate(world: World) -> None:
    _install(world)
    world.fake.set_file(
        REPO, ".github/controlbot.yml", "granularity: checklist\ngate: {required: everyone}\n"
    )
    planning = world.fake.seed_issue(REPO, "Plan", author="ana")
    world.comment(planning.number, "/controls start Atlas 4 --priority high")
    world.work()
    parent = next(i for i in world.issues().values() if i.title.startswith("Profile controls"))
    assert "Config problem: .github/controlbot.yml: gate.required" in parent.body
    (gate,) = world.fake.repo(REPO).check_runs.values()
    assert gate.conclusion == "action_required" and "config problems" in str(
        gate.output.get("title")
    )
