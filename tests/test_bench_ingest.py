"""The ingest load report's arithmetic, and the webhook's SQL path against `change_status`."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bench.load_client import ERROR, Sample, accepted, percentile, summarize
from control_catalog import load_bundled
from integrations import WorkState
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.inbound import apply_remote_state
from workflows.mirror import change_status
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    Release,
    StatusChange,
    TrackerItem,
    WorkspaceKind,
)
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.status import ChangeSource, ControlStatus
from workflows.tracking import sync_release


def test_percentile_is_the_nearest_rank() -> None:
    """p50 and p99 of 1..100 are 50 and 99; one value is every percentile; none is nan."""
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_a_step_counts_2xx_as_throughput_and_times_from_the_schedule() -> None:
    """Errors and non-2xx are not throughput; latency runs from the scheduled send time."""
    samples = [
        Sample("a", scheduled=0.0, done=0.010, status=202),
        Sample("b", scheduled=0.5, done=0.520, status=200),
        Sample("c", scheduled=1.0, done=1.500, status=500),
        Sample("d", scheduled=1.0, done=2.000, status=ERROR),
    ]
    summary = summarize(samples, offered=2.0)
    assert (summary.sent, summary.ok, summary.errors) == (4, 2, 2)
    assert summary.throughput == pytest.approx(2 / 2.0)  # first due at 0 s, last answer at 2 s
    assert summary.p50_ms == pytest.approx(20.0)  # answered: 10, 20 and 500 ms; none for "d"
    assert summary.p99_ms == pytest.approx(500.0)
    assert summary.statuses == {ERROR: 1, 200: 1, 202: 1, 500: 1}
    assert accepted(samples) == ["a", "b"]


def _release(session: Session, kind: WorkspaceKind) -> Release:
    """A 72-control release with an issue per control, a gate, and a Jira twin for two tasks."""
    workspace = ensure_workspace(session=session, kind=kind, name="o/r", now=NOW)
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
    release.gate_sha = "abc123"
    session.add(release)
    config = RepoConfig(granularity=Granularity.CONTROL)
    sync_release(
        session=session, release=release, tracker=InMemoryTracker(), config=config, now=NOW
    )
    assert release.id is not None
    for control_id in ("GV-1.1", "MP-1.1"):
        task = _task(session, control_id)
        session.add(
            TrackerItem(
                release_id=release.id,
                task_id=task.id,
                tracker="jira",
                kind=ItemKind.CONTROL,
                key=f"jira:{task.key}",
                external_id=f"CTRL-{task.id}",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.commit()
    return release


def _task(session: Session, control_id: str) -> ControlTask:
    """The release's task for a control."""
    return session.exec(select(ControlTask).where(ControlTask.control_id == control_id)).one()


def _writes(session: Session, control_id: str, since: int) -> dict[str, Any]:
    """What a status change left: the task, its audit rows and the jobs queued after `since`."""
    session.expire_all()
    task = _task(session, control_id)
    audit = session.exec(select(StatusChange).where(StatusChange.task_id == task.id)).all()
    trackers = {i.id: i.tracker for i in session.exec(select(TrackerItem)).all()}
    jobs = session.exec(
        select(OutboxItem).where(col(OutboxItem.id) > since).order_by(col(OutboxItem.id))
    ).all()
    return {
        "task": (task.status, task.justification, task.updated_at),
        "audit": [(a.from_status, a.to_status, a.actor, a.source, a.note, a.at) for a in audit],
        "jobs": sorted(
            (
                j.kind,
                trackers.get(j.payload.get("item_id"), j.payload.get("release_id")),
                j.key.startswith(f"{j.coalesce_key}#"),
                j.coalesce_key.split(":")[0] if j.coalesce_key else None,
                j.workspace_id,
                (j.state, j.attempts, j.version, j.claimed_until, j.last_error),
                (j.next_attempt_at, j.created_at, j.updated_at),
            )
            for j in jobs
        ),
    }


def _last_job(session: Session) -> int:
    """The newest outbox row's id (0 when empty)."""
    return max((j.id or 0 for j in session.exec(select(OutboxItem)).all()), default=0)


@pytest.mark.parametrize("kind", [WorkspaceKind.GITHUB, WorkspaceKind.LOCAL])
@pytest.mark.parametrize(
    ("state", "note"), [(WorkState.DONE, None), (WorkState.NOT_APPLICABLE, "Won't Do")]
)
def test_the_webhook_path_writes_what_change_status_writes(
    session: Session, kind: WorkspaceKind, state: WorkState, note: str | None
) -> None:
    """A Jira transition applied by the webhook's SQL leaves the rows `change_status` leaves."""
    _release(session, kind)
    later = NOW + timedelta(hours=1)
    before = _last_job(session)
    item = session.exec(
        select(TrackerItem).where(
            TrackerItem.tracker == "jira", TrackerItem.task_id == _task(session, "GV-1.1").id
        )
    ).one()
    outcome = apply_remote_state(
        session=session,
        tracker="jira",
        external_id=item.external_id or "",
        state=state,
        actor="ana",
        at=later,
        now=later,
        note=note,
    )
    session.commit()
    assert outcome.applied
    by_webhook = _writes(session, "GV-1.1", before)
    before = _last_job(session)
    changed = change_status(
        session=session,
        task=_task(session, "MP-1.1"),
        status=ControlStatus(state.value),
        actor="ana",
        source=ChangeSource.WEBHOOK,
        now=later,
        note=note,
    )
    assert changed
    assert by_webhook == _writes(session, "MP-1.1", before)
    assert session.get(TrackerItem, item.id).remote_updated_at == later  # type: ignore[union-attr]
