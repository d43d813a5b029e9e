"""End to end against the fake Jira over real HTTP, in Cloud and Data Center modes.

The CLI connects the project and opens a release; people move issues in the fake and Jira's
webhooks (real shape and headers, signed) reach the app; the outbox writes back through the
`jira` client. The database, the REST API and the fake must agree at every step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from integrations import ItemRef
from tests.cli import run_cli
from tests.fakes.jira import FakeJira, create_fake_jira_app
from tests.fakes.jira import webhooks as hooks
from tests.fakes.serving import serve_in_thread
from tests.support import settle_outbox
from workflows.jira_setup import find_project, reconcile_workspace
from workflows.mirror import change_status
from workflows.models import ControlTask, Release, TrackerItem
from workflows.status import ChangeSource, ControlStatus

SECRET = "jira-e2e-secret"
API_TOKEN = "api-e2e-token"
PUBLIC = "https://controlbot.example"
SLUG = "atlas-2.0"
Capsys = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, tuple[FakeJira, str]]]:
    """One fake Jira per mode, served for the whole module."""
    with ExitStack() as stack:
        found = {}
        for mode in ("cloud", "dc"):
            fake = FakeJira(mode)
            found[mode] = (fake, stack.enter_context(serve_in_thread(create_fake_jira_app(fake))))
        yield found


@dataclass
class World:
    """The app, its database, the fake Jira and the environment the CLI reads."""

    client: TestClient
    engine: Engine
    fake: FakeJira
    base: str
    app: Any
    capsys: Capsys

    def cli(self, *args: str) -> Any:
        """Run `controlbot ARGS` against the same database and Jira."""
        return run_cli(self.capsys, *args)

    def work(self) -> None:
        """Run the outbox until it is empty, as the scheduler would."""
        settle_outbox(self.engine, self.app.state.trackers.for_workspace)

    def deliver(self, payload: dict[str, Any]) -> Any:
        answer = hooks.post(self.client, payload, secret=SECRET)
        assert answer.status_code in (200, 202), answer.text
        return answer.json()

    def move(self, key: str, status: str, user: str | None = "ada") -> dict[str, Any]:
        """A person moves an issue in Jira; returns the webhook Jira would send (undelivered)."""
        change = self.fake.transition(key, status)
        return hooks.issue_updated(self.fake, self.base, change, user=user, at=datetime.now(UTC))

    def key(self, control_id: str) -> str:
        with Session(self.engine) as session:
            task = session.exec(select(ControlTask).where(ControlTask.control_id == control_id))
            item = session.exec(
                select(TrackerItem).where(TrackerItem.task_id == task.one().id)
            ).one()
            return item.external_id or ""

    def statuses(self) -> dict[str, ControlTask]:
        with Session(self.engine) as session:
            return {t.control_id: t for t in session.exec(select(ControlTask)).all()}


@pytest.fixture(params=["cloud", "dc"])
def world(
    request: pytest.FixtureRequest,
    sites: dict[str, tuple[FakeJira, str]],
    engine: Engine,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> Iterator[World]:
    fake, base = sites[request.param]
    fake.reset()
    fake.add_user("ada")
    fake.add_user("mallory", can_edit=False)
    env = {
        "DATABASE_URL": db_url,
        "JIRA_URL": base,
        "JIRA_MAX_RETRIES": "0",
        "JIRA_WEBHOOK_SECRET": SECRET,
        "PUBLIC_URL": PUBLIC,
        "API_TOKEN": API_TOKEN,
    }
    if fake.is_cloud:
        env |= {"JIRA_EMAIL": fake.email, "JIRA_API_TOKEN": fake.api_token}
    else:
        env |= {"JIRA_PAT": fake.pat}
    for name, value in env.items():
        monkeypatch.setenv(f"CONTROLBOT_{name}", value)
    settings = Settings()
    assert isinstance(settings.jira_webhook_secret, SecretStr)
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield World(client, engine, fake, base, app, capsys)


def _open(world: World) -> None:
    """Connect CTRL and open Atlas 2.0 in it from the CLI."""
    connected = world.cli("jira", "connect", "--project", "CTRL", "--label", "ai-risk")
    assert connected.code == 0, connected.err
    opened = world.cli(
        "jira", "open", "--project", "CTRL", "--name", "Atlas", "--version", "2.0",
        "--target-date", "2026-12-15",
    )  # fmt: skip
    assert opened.code == 0, opened.err
    assert "opened release atlas-2.0 in Jira project CTRL" in opened.out


def test_a_release_in_jira_from_open_to_done_and_wont_do(world: World) -> None:
    _open(world)
    fake = world.fake
    (version,) = fake.versions.values()
    assert (version.name, version.release_date) == ("Atlas 2.0", "2026-12-15")
    epics = [i for i in fake.issues.values() if fake.type_of(i).name == "Epic"]
    tasks = [i for i in fake.issues.values() if fake.type_of(i).name == "Task"]
    assert len(epics) == 1 and len(tasks) == 72
    (link,) = epics[0].remote_links
    assert link.object["url"] == f"{PUBLIC}/releases/{SLUG}"
    assert all({"controlbot", "ai-risk"} <= set(t.fields["labels"]) for t in tasks)
    assert all(t.fields["fixVersions"] == [version.id] for t in tasks)
    parent_field = "parent" if fake.is_cloud else "customfield_10100"
    epic_ref = epics[0].id if fake.is_cloud else epics[0].key
    assert all(t.fields[parent_field] == epic_ref for t in tasks)

    # Ada moves GV-1.1 to In Progress then Done, and MP-1.1 to Won't Do.
    done_key, na_key = world.key("GV-1.1"), world.key("MP-1.1")
    started = world.move(done_key, "In Progress")
    finished = world.move(done_key, "Done")
    skipped = world.move(na_key, "Won't Do")
    assert world.deliver(finished)["status"] == "processed"
    assert world.deliver(skipped)["status"] == "processed"
    # The In Progress event arrives last and late: it is older than Done, so nothing changes.
    started["timestamp"] = finished["timestamp"] - 60_000
    late = world.deliver(started)
    assert late["status"] == "ignored" and "stale event" in late["detail"]
    world.work()

    tasks_now = world.statuses()
    assert tasks_now["GV-1.1"].status is ControlStatus.DONE
    assert tasks_now["MP-1.1"].status is ControlStatus.NOT_APPLICABLE
    assert tasks_now["MP-1.1"].justification == "Won't Do"
    api = world.client.get(
        f"/api/releases/{SLUG}", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert api.status_code == 200
    shown = {t["control_id"]: t["status"] for t in api.json()["tasks"]}
    assert shown == {c: t.status.value for c, t in tasks_now.items()}
    assert api.json()["closed"] == 2
    assert fake.issue(done_key).status == "Done" and fake.issue(na_key).status == "Won't Do"


def test_changes_made_elsewhere_reach_jira_and_their_echo_changes_nothing(world: World) -> None:
    _open(world)
    key = world.key("GV-1.2")
    with Session(world.engine, expire_on_commit=False) as session:
        task = session.exec(select(ControlTask).where(ControlTask.control_id == "GV-1.2")).one()
        change_status(
            session=session,
            task=task,
            status=ControlStatus.DONE,
            actor="cli:ana",
            source=ChangeSource.CLI,
            now=datetime.now(UTC),
            note="Evidence in the model card.",
        )
    world.work()
    issue = world.fake.issue(key)
    assert (issue.status, issue.resolution) == ("Done", "Done")
    expected = "cli:ana marked this done via cli: Evidence in the model card."
    assert any(expected in c.body for c in issue.comments)
    # Jira tells us about our own transition: an echo, ignored.
    echo = hooks.issue_updated(
        world.fake,
        world.base,
        world.fake.set_status(key, "Done"),
        user=None,
        at=datetime.now(UTC),
    )
    assert world.deliver(echo)["detail"] == "ignored: caused by controlbot itself"


def test_comment_commands_need_edit_permission(world: World) -> None:
    _open(world)
    key = world.key("GV-1.3")
    now = datetime.now(UTC)
    denied = hooks.comment_created(
        world.fake, world.base, key, "/controls done", user="mallory", at=now
    )
    allowed = hooks.comment_created(
        world.fake, world.base, key, "/controls na The model has no tool use.", user="ada", at=now
    )
    assert world.deliver(denied)["status"] == "processed"
    assert world.deliver(allowed)["status"] == "processed"
    world.work()
    task = world.statuses()["GV-1.3"]
    assert (task.status, task.justification) == (
        ControlStatus.NOT_APPLICABLE,
        "The model has no tool use.",
    )
    issue = world.fake.issue(key)
    assert (issue.status, issue.resolution) == ("Won't Do", "Won't Do")
    assert any("only people with write access" in c.body for c in issue.comments)
    with Session(world.engine) as session:
        workspace = find_project(session=session, project_key="CTRL")
        assert workspace is not None
        tracker = world.app.state.trackers.for_workspace(workspace)
    ref = ItemRef("jira", key, "")
    assert tracker.can_edit(ref, "ada") and not tracker.can_edit(ref, "mallory")
    assert tracker.latest_comment(ref, author="mallory") == "/controls done"


def test_reconcile_repairs_missed_webhooks(world: World) -> None:
    _open(world)
    missed = world.key("MS-1.1")
    world.move(missed, "In Progress")  # the webhook never arrives
    world.fake.delete_issue(world.key("MS-1.2"))
    with Session(world.engine, expire_on_commit=False) as session:
        workspace = find_project(session=session, project_key="CTRL")
        assert workspace is not None
        tracker = world.app.state.trackers.for_workspace(workspace)
        report = reconcile_workspace(
            session=session,
            workspace=workspace,
            tracker=tracker,
            now=datetime.now(UTC) + timedelta(seconds=1),
        )
    assert report.changed == [f"{missed} -> in_progress"]
    assert report.checked == 71 and len(report.missing) == 1
    assert world.statuses()["MS-1.1"].status is ControlStatus.IN_PROGRESS
    again = world.cli("jira", "reconcile", "--project", "CTRL")
    assert again.code == 0 and "0 changed, 1 missing in Jira" in again.out
    with Session(world.engine) as session:
        assert session.exec(select(Release)).one().slug == SLUG


def test_assign_from_a_jira_comment_sets_the_assignee_and_the_owner(world: World) -> None:
    _open(world)
    fake, cloud = world.fake, world.fake.is_cloud
    grace = fake.add_user("5b10ac8d82e05b22cc7d4ef5" if cloud else "gwen.o", name="Grace Owner")
    fake.add_user("557058:guest" if cloud else "guest", can_be_assigned=False)

    def mention(ident: str) -> str:
        return f"[~accountid:{ident}]" if cloud else f"[~{ident}]"

    key, other = world.key("GV-1.2"), world.key("GV-1.3")
    (epic,) = [i.key for i in fake.issues.values() if fake.type_of(i).name == "Epic"]
    now = datetime.now(UTC)
    comments = [
        (key, f"Grace takes this one.\n/controls assign {mention(grace)}"),
        (epic, f"/controls assign GV-1.3 {mention(grace)}"),
        (world.key("GV-1.4"), f"/controls assign {mention('557058:guest' if cloud else 'guest')}"),
        (world.key("GV-1.5"), "/controls assign @grace"),
    ]
    for issue_key, body in comments:
        payload = hooks.comment_created(fake, world.base, issue_key, body, user="ada", at=now)
        assert world.deliver(payload)["status"] == "processed"
    world.work()

    tasks = world.statuses()
    assert (tasks["GV-1.2"].owner, tasks["GV-1.3"].owner) == (grace, grace)
    for assigned in (key, other):
        person = fake.issue(assigned).fields["assignee"]
        assert (person["accountId" if cloud else "name"], person["displayName"]) == (
            grace,
            "Grace Owner",
        )
    # Jira refused the guest: the owner stays empty and the reply gives Jira's reason.
    refused = fake.issue(world.key("GV-1.4"))
    assert tasks["GV-1.4"].owner is None and refused.fields.get("assignee") is None
    assert any("cannot be assigned issues" in c.body for c in refused.comments)
    # A GitHub-style @login is not a Jira mention: a help reply, nothing assigned.
    site = "Jira Cloud" if cloud else "Jira Data Center"
    helped = fake.issue(world.key("GV-1.5"))
    assert tasks["GV-1.5"].owner is None and helped.fields.get("assignee") is None
    assert any(f"`@grace` is not a {site} mention" in c.body for c in helped.comments)
