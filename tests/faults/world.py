"""A GitHub world for the fault suite: the app, a database and the fake GitHub over real HTTP."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.cli.opening import workspace_for_repo
from bot.main import create_app
from bot.settings import Settings
from bot.trackers import TrackerRegistry
from integrations import Tracker
from integrations.github.client import installation_client, read_only_retry
from integrations.github.pacing import WritePacer
from integrations.github.tracker import GitHubTracker
from tests.fakes.github import FakeGitHub
from tests.github_payloads import payload, post
from workflows import mirror
from workflows.jobs import drain
from workflows.models import ControlTask, OutboxItem, OutboxState, Release, TrackerItem, Workspace
from workflows.opening import StartRequest, start_in_workspace
from workflows.repo_config import RepoConfig
from workflows.tracking import sync_release

SECRET = "faults-webhook-secret"
INSTALLATION = 7070
CONTROL_CONFIG = "granularity: control\n"


def github_settings(fake: FakeGitHub, base: str, **extra: Any) -> Settings:
    """Settings that point the app at the fake GitHub."""
    return Settings(
        github_webhook_secret=SecretStr(SECRET),
        github_app_id=fake.app_id,
        github_app_slug=fake.slug,
        github_private_key=SecretStr(fake.private_key_pem),
        github_api_url=base,
        github_write_interval=0.0,
        **extra,
    )


def cli_env(fake: FakeGitHub, base: str, db_url: str) -> dict[str, str]:
    """The environment of a `controlbot` subprocess on this database and the fake GitHub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROLBOT_")}
    return env | {
        "CONTROLBOT_DATABASE_URL": db_url,
        "CONTROLBOT_GITHUB_APP_ID": str(fake.app_id),
        "CONTROLBOT_GITHUB_APP_SLUG": fake.slug,
        "CONTROLBOT_GITHUB_PRIVATE_KEY": fake.private_key_pem,
        "CONTROLBOT_GITHUB_API_URL": base,
        "CONTROLBOT_GITHUB_WRITE_INTERVAL": "0",
    }


def seed_repo(fake: FakeGitHub, repo: str, config: str = CONTROL_CONFIG) -> None:
    """An installed repository with a controlbot config and one writer (`ana`)."""
    if INSTALLATION not in fake.store.installations:
        fake.add_installation(INSTALLATION, repo.split("/")[0])
    fake.add_repo(repo, installation_id=INSTALLATION, files={".github/controlbot.yml": config})
    fake.set_permission(repo, "ana", "write")
    fake.set_permission(repo, "mallory", "read")


def fast_tracker_for(fake: FakeGitHub, base: str, *, timeout: int = 1) -> Callable[..., Tracker]:
    """`tracker_for` with a 1 s HTTP timeout and no real sleeping: the outbox does the waiting."""
    client = installation_client(
        fake.app_id,
        fake.private_key_pem,
        INSTALLATION,
        base_url=base,
        timeout=timeout,
        retry=read_only_retry(max_rate_limit_wait=5),
    )
    pacer = WritePacer(min_interval=0.0, hourly_budget=100_000, sleep=lambda _: None)

    def tracker_for(workspace: Workspace) -> Tracker:
        return GitHubTracker(client, workspace.name, pacer=pacer, app_login=f"{fake.slug}[bot]")

    return tracker_for


def open_release(
    engine: Engine, settings: Settings, repo: str, *, name: str = "Atlas", version: str = "1.0"
) -> Release:
    """Open a release in `repo` the way `controlbot release create --repo` does."""
    registry = TrackerRegistry(settings)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        workspace = workspace_for_repo(session, registry, repo)
        tracker = registry.for_workspace(workspace)
        request = StartRequest(name=name, version=version, actor="ana")
        release = start_in_workspace(
            session=session, workspace=workspace, tracker=tracker, request=request, now=now
        )
        assert release is not None
        resync(session, release, tracker)
        mirror.enqueue_views(session=session, release=release, now=now)
        session.commit()
        return release


def resync(session: Session, release: Release, tracker: Tracker) -> None:
    """Run the resumable sync of a stored release, as `bot/cli/opening.py` does."""
    config = RepoConfig.model_validate(release.config)
    sync_release(
        session=session, release=release, tracker=tracker, config=config, now=datetime.now(UTC)
    )


@dataclass
class Clock:
    """An injected clock that the test moves forward."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.at += timedelta(seconds=seconds)


def drain_until_settled(
    engine: Engine, tracker_for: Callable[..., Tracker], clock: Clock, *, rounds: int = 60
) -> int:
    """Run the drain loop as time passes until no job is pending; returns the rounds used."""
    for n in range(rounds):
        drain(engine=engine, tracker_for=tracker_for, clock=clock, limit=200)
        if not pending_jobs(engine):
            return n + 1
        clock.advance(120)
    raise AssertionError(f"the outbox did not settle: {dead_or_pending(engine)}")


def pending_jobs(engine: Engine) -> int:
    """Jobs still waiting to run."""
    with Session(engine) as session:
        rows = session.exec(select(OutboxItem).where(OutboxItem.state == OutboxState.PENDING))
        return len(rows.all())


def dead_or_pending(engine: Engine) -> list[str]:
    """Jobs that are not done, with their last error."""
    with Session(engine) as session:
        jobs = session.exec(select(OutboxItem).where(OutboxItem.state != OutboxState.DONE))
        return [f"{j.kind} {j.state.value}: {j.last_error}" for j in jobs.all()]


def issue_numbers(engine: Engine) -> dict[str, int]:
    """Control id -> the number of its issue."""
    with Session(engine) as session:
        rows = session.exec(
            select(ControlTask.control_id, TrackerItem.external_id).join(
                TrackerItem, TrackerItem.task_id == ControlTask.id
            )
        ).all()
        return {cid: int(str(ext).rsplit("#", 1)[1]) for cid, ext in rows}


def count_writes(fake: FakeGitHub, repo: str, number: int) -> tuple[int, int]:
    """(successful PATCHes, successful comment POSTs) on one issue."""
    issue = re.escape(f"/repos/{repo}/issues/{number}")
    patches = fake.count_requests(method="PATCH", path_pattern=f"{issue}$", status=200)
    comments = fake.count_requests(method="POST", path_pattern=f"{issue}/comments$", status=201)
    return patches, comments


def app_client(settings: Settings, engine: Engine) -> Iterator[tuple[Any, TestClient]]:
    """The real app and a test client on it."""
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield app, client


def issue_body(fake: FakeGitHub, repo: str, number: int) -> dict[str, Any]:
    """`issues.closed` or `issues.reopened` for the issue as the fake holds it now."""
    stored = fake.repo(repo).issues[number]
    closed = stored.state == "closed"
    name = "issues/closed.completed.json" if closed else "issues/reopened.payload.json"
    body = payload(name, repo=repo, number=number, installation_id=INSTALLATION, sender="ana")
    body["issue"].update(
        state=stored.state,
        state_reason=stored.state_reason,
        body=stored.body,
        updated_at=datetime.fromtimestamp(stored.updated_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return body


def issue_event(
    client: TestClient, fake: FakeGitHub, repo: str, number: int, *, delivery_id: str | None = None
) -> Any:
    """Deliver the issue's current close/reopen event, signed."""
    body = issue_body(fake, repo, number)
    return post(client, "issues", body, secret=SECRET, delivery_id=delivery_id)
