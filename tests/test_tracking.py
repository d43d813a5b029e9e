"""Opening a release in a tracker, applying tracker events, and running outbox jobs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from control_catalog import load_bundled
from integrations import TrackerUnavailable
from integrations.github.checklist import parse_ticks
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.inbound import apply_github_close, apply_remote_state, apply_ticks
from workflows.jobs import drain
from workflows.mirror import OPEN_RELEASE, change_status
from workflows.models import OutboxItem, Release, TrackerItem, WorkspaceKind
from workflows.outbox import enqueue, pending_count
from workflows.releases import create_release, ensure_workspace, release_tasks
from workflows.repo_config import Granularity, RepoConfig
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task
from workflows.tracking import sync_release

CATALOG = load_bundled("gpai-profile@1.2")
ALL = RepoConfig(granularity=Granularity.CONTROL)


def _release(session: Session, config: RepoConfig = ALL) -> Release:
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=CATALOG,
        name="Atlas",
        version="2.0",
        actor="t",
        now=NOW,
        target_date=date(2026, 12, 15),
    )
    release.config = config.model_dump(mode="json")
    release.gate_sha = "abc123"
    session.add(release)
    session.commit()
    return release


def _sync(session: Session, release: Release, tracker: InMemoryTracker, config: RepoConfig = ALL):  # type: ignore[no-untyped-def]
    return sync_release(session=session, release=release, tracker=tracker, config=config, now=NOW)


def test_opening_creates_a_parent_and_one_issue_per_control(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    report = _sync(session, release, tracker)
    assert report.created == 73 and report.linked == 72
    assert sorted(tracker.keys()) == sorted(
        ["atlas-2.0", *(t.key for t in release_tasks(session=session, release=release))]
    )
    parent = tracker.by_key("atlas-2.0")
    assert len(parent.children) == 72
    ticks = parse_ticks(parent.body)
    assert len(ticks) == 72 and not any(ticks.values())
    assert "#2" in parent.body  # lines link to the control issues
    assert {"controlbot", "controls:govern", "priority:high"} <= tracker.labels
    assert tracker.milestones == {"Atlas 2.0"}


def test_a_second_sync_writes_nothing(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    _sync(session, release, tracker)
    before = tracker.writes
    report = _sync(session, release, tracker)
    assert tracker.writes == before
    assert (report.created, report.linked, report.checklist_written) == (0, 0, False)


def test_checklist_only_granularity_makes_one_issue(session: Session) -> None:
    tracker = InMemoryTracker()
    config = RepoConfig(granularity=Granularity.CHECKLIST)
    release = _release(session, config)
    _sync(session, release, tracker, config)
    assert tracker.keys() == ["atlas-2.0"]
    assert len(parse_ticks(tracker.by_key("atlas-2.0").body)) == 72


def test_default_granularity_gives_high_priority_controls_their_own_issue(session: Session) -> None:
    tracker = InMemoryTracker()
    config = RepoConfig()
    release = _release(session, config)
    _sync(session, release, tracker, config)
    high = [
        t.key for t in release_tasks(session=session, release=release) if t.priority.value == "high"
    ]
    assert sorted(tracker.keys()) == sorted(["atlas-2.0", *high])


def test_a_crash_half_way_resumes_to_exactly_one_item_per_key(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    tracker.fail_creates_after = 30
    with pytest.raises(TrackerUnavailable):
        _sync(session, release, tracker)
    tracker.fail_creates_after = None
    _sync(session, release, tracker)
    keys = tracker.keys()
    assert len(keys) == len(set(keys)) == 73


def test_a_500_that_created_the_issue_is_not_duplicated(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    tracker.ghost_next_create = True
    with pytest.raises(TrackerUnavailable):
        _sync(session, release, tracker)
    report = _sync(session, release, tracker)
    keys = tracker.keys()
    assert len(keys) == len(set(keys)) == 73
    assert report.found == 1  # the ghost was searched for and found, not created again


def test_a_parent_holds_at_most_100_children(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    tracker.max_children = 50  # a smaller cap exercises the roll-over with 72 controls
    sync_release(
        session=session, release=release, tracker=tracker, config=ALL, now=NOW, max_children=50
    )
    assert [len(tracker.by_key(k).children) for k in ("atlas-2.0", "atlas-2.0~2")] == [50, 22]


def _control_item(session: Session, release: Release, control_id: str) -> TrackerItem:
    task = get_task(session=session, release=release, control_id=control_id)
    return session.exec(select(TrackerItem).where(TrackerItem.task_id == task.id)).one()


def test_closing_an_issue_marks_its_control_done_and_queues_the_views(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    _sync(session, release, tracker)
    item = _control_item(session, release, "MP-1.1")
    outcome = apply_github_close(
        session=session,
        external_id=item.external_id or "",
        reason="completed",
        actor="ana",
        at=NOW,
        now=NOW,
    )
    assert outcome.applied
    assert (
        get_task(session=session, release=release, control_id="MP-1.1").status is ControlStatus.DONE
    )
    kinds = {j.kind for j in session.exec(select(OutboxItem)).all()}
    assert kinds == {"item_state", "checklist", "gate"}


def test_stale_and_repeated_events_change_nothing(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    _sync(session, release, tracker)
    item = _control_item(session, release, "MP-1.1")
    ref = item.external_id or ""
    from integrations import WorkState

    later, earlier = NOW + timedelta(minutes=5), NOW
    assert apply_remote_state(
        session=session,
        tracker="github",
        external_id=ref,
        state=WorkState.DONE,
        actor="a",
        at=later,
        now=later,
    ).applied
    stale = apply_remote_state(
        session=session,
        tracker="github",
        external_id=ref,
        state=WorkState.TODO,
        actor="a",
        at=earlier,
        now=later,
    )
    assert not stale.applied and "stale" in stale.detail
    assert (
        get_task(session=session, release=release, control_id="MP-1.1").status is ControlStatus.DONE
    )


def test_ticking_and_unticking_boxes(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    _sync(session, release, tracker)
    parent = session.exec(select(TrackerItem).where(TrackerItem.key == "atlas-2.0")).one()
    outcome = apply_ticks(
        session=session,
        tracker="github",
        parent_external_id=parent.external_id or "",
        ticks={"atlas-2.0:GV-1.1": True, "atlas-2.0:GV-1.2": False},
        actor="ana",
        now=NOW,
    )
    assert outcome.applied and "GV-1.1" in outcome.detail
    assert (
        get_task(session=session, release=release, control_id="GV-1.1").status is ControlStatus.DONE
    )
    apply_ticks(
        session=session,
        tracker="github",
        parent_external_id=parent.external_id or "",
        ticks={"atlas-2.0:GV-1.1": False},
        actor="ana",
        now=NOW,
    )
    assert (
        get_task(session=session, release=release, control_id="GV-1.1").status is ControlStatus.TODO
    )


def test_an_impossible_tracker_move_is_explained_not_applied(session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    _sync(session, release, tracker)
    task = get_task(session=session, release=release, control_id="MS-2.12")
    change_status(
        session=session,
        task=task,
        status=ControlStatus.NOT_APPLICABLE,
        actor="a",
        source=ChangeSource.CLI,
        now=NOW,
        note="no training",
    )
    item = _control_item(session, release, "MS-2.12")
    outcome = apply_github_close(
        session=session,
        external_id=item.external_id or "",
        reason="completed",
        actor="ana",
        at=NOW,
        now=NOW,
    )
    assert not outcome.applied and "cannot move" in outcome.detail
    assert any(j.kind == "comment" for j in session.exec(select(OutboxItem)).all())


def test_jobs_mirror_a_change_to_the_issue_checklist_and_gate(
    engine: Engine, session: Session
) -> None:
    tracker = InMemoryTracker()
    release = _release(session)
    enqueue(
        session=session,
        workspace_id=release.workspace_id,
        kind=OPEN_RELEASE,
        key="open:1",
        now=NOW,
        payload={"release_id": release.id},
    )
    session.commit()
    assert drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW).done >= 1
    drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW)
    assert len(tracker.keys()) == 73
    task = get_task(session=session, release=release, control_id="MP-1.1")
    change_status(
        session=session,
        task=task,
        status=ControlStatus.DONE,
        actor="ana",
        source=ChangeSource.CLI,
        now=NOW,
    )
    stats = drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW)
    assert stats.done == 3 and pending_count(session=session) == 0
    assert tracker.by_key(task.key).state.value == "done"
    assert parse_ticks(tracker.by_key("atlas-2.0").body)[task.key] is True
    gate = tracker.gates[("abc123", "Profile controls")]
    assert gate.conclusion == "action_required" and gate.title.startswith("Not ready: 1/72")


def test_jobs_retry_after_outages_and_rate_limits(engine: Engine, session: Session) -> None:
    tracker = InMemoryTracker()
    release = _release(session, RepoConfig(granularity=Granularity.CHECKLIST))
    enqueue(
        session=session,
        workspace_id=release.workspace_id,
        kind=OPEN_RELEASE,
        key="open:1",
        now=NOW,
        payload={"release_id": release.id},
    )
    session.commit()
    tracker.unavailable = 1
    assert drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW).retried == 1
    tracker.rate_limited = 1
    assert (
        drain(
            engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW + timedelta(seconds=5)
        ).retried
        == 1
    )
    assert (
        drain(
            engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW + timedelta(seconds=20)
        ).done
        == 0
    )
    later = NOW + timedelta(seconds=40)
    assert drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: later).done == 1
    assert tracker.keys() == ["atlas-2.0"]
