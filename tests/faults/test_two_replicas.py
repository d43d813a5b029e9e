"""Two replicas on one PostgreSQL: draining one queue and opening one release, no double write."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.cli.opening import workspace_for_repo
from bot.trackers import TrackerRegistry
from integrations.github.tracker import key_from_body
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from tests.faults.world import (
    Clock,
    count_writes,
    drain_until_settled,
    fast_tracker_for,
    github_settings,
    issue_numbers,
    open_release,
    pending_jobs,
    resync,
    seed_repo,
)
from workflows import mirror
from workflows.jobs import drain
from workflows.models import ControlTask, Release, TrackerItem
from workflows.opening import StartRequest, start_in_workspace
from workflows.status import ChangeSource, ControlStatus

REPO = "octo/replicas"


@pytest.fixture
def pg(engine: Engine) -> Engine:
    """The engine, on PostgreSQL only: SQLite has one writer and no SKIP LOCKED."""
    if engine.dialect.name != "postgresql":
        pytest.skip("two replicas need PostgreSQL: set CONTROLBOT_TEST_DATABASE_URL")
    return engine


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    """One fake GitHub for the module."""
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    """The fake served on loopback."""
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


def _together(*jobs: Callable[[], None]) -> list[BaseException]:
    """Run the jobs on threads that start at the same moment; return their failures."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a replica hung"
    return errors


def test_two_replicas_drain_one_queue_without_double_writes(
    pg: Engine, fake: FakeGitHub, base: str
) -> None:
    fake.reset()
    seed_repo(fake, REPO)
    open_release(pg, github_settings(fake, base), REPO)
    drain_until_settled(pg, fast_tracker_for(fake, base), Clock())
    now = datetime.now(UTC)
    with Session(pg, expire_on_commit=False) as session:
        for task in session.exec(select(ControlTask)).all():
            mirror.change_status(
                session=session,
                task=task,
                status=ControlStatus.DONE,
                actor="ana",
                source=ChangeSource.CLI,
                now=now,
                note="done",
            )

    def replica() -> None:
        tracker_for = fast_tracker_for(fake, base)  # its own HTTP client
        for _ in range(200):
            drain(engine=pg, tracker_for=tracker_for, clock=lambda: datetime.now(UTC), limit=5)
            if not pending_jobs(pg):
                return

    assert _together(replica, replica) == []
    assert pending_jobs(pg) == 0
    for control_id, number in issue_numbers(pg).items():
        assert fake.repo(REPO).issues[number].state == "closed", control_id
        assert count_writes(fake, REPO, number) == (1, 1), control_id


def test_two_replicas_opening_one_release_make_one_issue_per_control(
    pg: Engine, fake: FakeGitHub, base: str
) -> None:
    fake.reset()
    seed_repo(fake, REPO)
    settings = github_settings(fake, base)
    registry = TrackerRegistry(settings)
    with Session(pg, expire_on_commit=False) as session:
        workspace = workspace_for_repo(session, registry, REPO)
        request = StartRequest(name="Atlas", version="9.0", actor="ana")
        tracker = registry.for_workspace(workspace)
        release = start_in_workspace(
            session=session,
            workspace=workspace,
            tracker=tracker,
            request=request,
            now=datetime.now(UTC),
        )
        assert release is not None and release.id is not None
        release_id = release.id

    def replica() -> None:
        own = TrackerRegistry(settings)  # a second process has its own clients
        with Session(pg, expire_on_commit=False) as session:
            stored = session.get(Release, release_id)
            assert stored is not None
            resync(session, stored, own.for_workspace(workspace))

    failures = _together(replica, replica)
    # The loser may trip over the winner's row (unique tracker key); it never files twice.
    assert all(isinstance(e, IntegrityError) for e in failures), failures
    replica()  # a later run (the job's retry) finishes whatever is left
    issues = fake.issues(REPO)
    keys = [key_from_body(i.body or "") for i in issues]
    assert len(keys) == len(set(keys)) == 73, f"{len(keys)} issues for {len(set(keys))} keys"
    with Session(pg) as session:
        assert len(session.exec(select(TrackerItem)).all()) == 73
