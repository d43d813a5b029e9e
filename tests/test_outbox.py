"""Webhook delivery dedupe and the outbox queue on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from control_catalog import load_bundled
from integrations import WorkState
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.deliveries import claim_delivery, finish_delivery
from workflows.jobs import drain
from workflows.mirror import change_status
from workflows.models import DeliveryOutcome, OutboxItem, OutboxState, WorkspaceKind
from workflows.outbox import backoff, claim_due, complete, enqueue, fail, pending_count
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task
from workflows.tracking import sync_release


@pytest.fixture
def workspace_id(session: Session) -> int:
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.LOCAL, name="w", now=NOW)
    assert workspace.id is not None
    return workspace.id


def _claim(session: Session, delivery_id: str = "d-1") -> object:
    found = claim_delivery(
        session=session,
        source="github",
        delivery_id=delivery_id,
        event="issues",
        action="closed",
        now=NOW,
    )
    session.commit()
    return found


def test_a_delivery_is_stored_once(session: Session) -> None:
    first = _claim(session)
    assert first is not None
    finish_delivery(session=session, row_id=first, outcome=DeliveryOutcome.PROCESSED, detail=None)  # type: ignore[arg-type]
    session.commit()
    assert _claim(session) is None
    assert _claim(session, "d-2") is not None


def test_a_failed_delivery_can_be_redelivered(session: Session) -> None:
    first = _claim(session)
    finish_delivery(session=session, row_id=first, outcome=DeliveryOutcome.FAILED, detail="boom")  # type: ignore[arg-type]
    session.commit()
    assert _claim(session) is not None


def test_enqueue_coalesces_by_key_and_rearms_done_jobs(session: Session, workspace_id: int) -> None:
    enqueue(
        session=session, workspace_id=workspace_id, kind="checklist", key="checklist:1", now=NOW
    )
    enqueue(
        session=session, workspace_id=workspace_id, kind="checklist", key="checklist:1", now=NOW
    )
    session.commit()
    assert pending_count(session=session) == 1
    (job,) = claim_due(session=session, now=NOW)
    assert complete(session=session, item=job, now=NOW)
    assert pending_count(session=session) == 0
    enqueue(
        session=session, workspace_id=workspace_id, kind="checklist", key="checklist:1", now=NOW
    )
    session.commit()
    assert pending_count(session=session) == 1


def test_a_job_rearmed_while_running_runs_again(session: Session, workspace_id: int) -> None:
    enqueue(session=session, workspace_id=workspace_id, kind="state", key="state:7", now=NOW)
    session.commit()
    (job,) = claim_due(session=session, now=NOW)
    first_version = job.version
    assert claim_due(session=session, now=NOW) == []  # leased
    enqueue(session=session, workspace_id=workspace_id, kind="state", key="state:7", now=NOW)
    session.commit()
    assert not complete(session=session, item=job, now=NOW)
    (again,) = claim_due(session=session, now=NOW)
    assert again.version == first_version + 1
    assert complete(session=session, item=again, now=NOW)


def test_failures_back_off_then_die(session: Session, workspace_id: int) -> None:
    enqueue(session=session, workspace_id=workspace_id, kind="state", key="state:8", now=NOW)
    session.commit()
    (job,) = claim_due(session=session, now=NOW)
    assert fail(session=session, item=job, error="502", now=NOW) is OutboxState.PENDING
    assert claim_due(session=session, now=NOW + timedelta(seconds=4)) == []
    (job,) = claim_due(session=session, now=NOW + timedelta(seconds=5))
    assert (
        fail(session=session, item=job, error="429", now=NOW, retry_after=30) is OutboxState.PENDING
    )
    assert claim_due(session=session, now=NOW + timedelta(seconds=29)) == []
    (job,) = claim_due(session=session, now=NOW + timedelta(seconds=30))
    assert fail(session=session, item=job, error="403", now=NOW, permanent=True) is OutboxState.DEAD
    session.expire_all()
    stored = session.get(OutboxItem, job.id)
    assert stored is not None and stored.attempts == 3 and stored.last_error == "403"


def test_backoff_doubles_and_caps() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(30) == timedelta(hours=1)


def test_two_workers_never_claim_the_same_job(engine: Engine, workspace_id: int) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        for n in range(10):
            enqueue(
                session=setup, workspace_id=workspace_id, kind="state", key=f"state:{n}", now=NOW
            )
        setup.commit()
    first, second = Session(engine, expire_on_commit=False), Session(engine, expire_on_commit=False)
    with first, second:
        a = claim_due(session=first, now=NOW, limit=6)
        b = claim_due(session=second, now=NOW, limit=6)
    assert len(a) == 6 and len(b) == 4
    assert not {j.id for j in a} & {j.id for j in b}


def _view(session: Session, workspace_id: int, key: str = "checklist:1") -> None:
    from workflows.outbox import enqueue_view

    enqueue_view(
        session=session, workspace_id=workspace_id, kind="checklist", coalesce_key=key, now=NOW
    )
    session.commit()


def test_view_refreshes_insert_rows_and_run_once(session: Session, workspace_id: int) -> None:
    for _ in range(3):
        _view(session, workspace_id)
    _view(session, workspace_id, "checklist:2")
    assert pending_count(session=session) == 4
    jobs = claim_due(session=session, now=NOW)
    assert sorted(j.coalesce_key or "" for j in jobs) == ["checklist:1", "checklist:2"]
    for job in jobs:
        complete(session=session, item=job, now=NOW)
    assert pending_count(session=session) == 0


def test_a_view_refreshed_while_running_runs_again_afterwards(
    session: Session, workspace_id: int
) -> None:
    _view(session, workspace_id)
    (running,) = claim_due(session=session, now=NOW)
    _view(session, workspace_id)  # a change arrives while the refresh runs
    assert claim_due(session=session, now=NOW) == []  # never two refreshes of one view at once
    complete(session=session, item=running, now=NOW)
    (again,) = claim_due(session=session, now=NOW)
    assert again.id != running.id and again.coalesce_key == "checklist:1"


def _mark_done(session: Session, tracker: InMemoryTracker) -> str:
    """A release synced to `tracker`, then GV-1.1 marked done from the CLI; its item's key."""
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    config = RepoConfig(granularity=Granularity.CONTROL)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name="Atlas",
        version="2.0",
        actor="t",
        now=NOW,
    )
    release.config = config.model_dump(mode="json")
    sync_release(session=session, release=release, tracker=tracker, config=config, now=NOW)
    task = get_task(session=session, release=release, control_id="GV-1.1")
    change_status(
        session=session,
        task=task,
        status=ControlStatus.DONE,
        actor="ana",
        source=ChangeSource.CLI,
        now=NOW,
        note="checked",
    )
    return task.key


def _drain_until_idle(engine: Engine, tracker: InMemoryTracker) -> None:
    """Drain as time passes until nothing is pending."""
    for n in range(10):
        later = NOW + timedelta(minutes=n)  # past the back-off of any failed job
        drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda at=later: at)
        with Session(engine) as session:
            if pending_count(session=session) == 0:
                return
    raise AssertionError("the outbox did not settle")


@pytest.mark.parametrize("notes_with_state", [False, True])
def test_a_state_change_is_noted_once_when_its_comment_fails_once(
    engine: Engine, session: Session, notes_with_state: bool
) -> None:
    """GitHub-like: the note is a second write, retried alone; Jira-like: it rides the change."""
    tracker = InMemoryTracker(notes_with_state=notes_with_state)
    key = _mark_done(session, tracker)
    tracker.unavailable_comments = 1
    _drain_until_idle(engine, tracker)
    item = tracker.by_key(key)
    assert item.state is WorkState.DONE
    assert item.comments == ["ana marked this done via cli: checked"]
    assert tracker.unavailable_comments == (0 if not notes_with_state else 1)
