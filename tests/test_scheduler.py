"""The scheduler: leader election across real processes, the job list, and the jobs themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, select

from bot import migrate
from bot import scheduler as sched
from bot.leader import LOCK_NAMESPACE, AdvisoryLock, FileLock, make_elector
from bot.settings import Settings
from control_catalog import load_bundled
from integrations import ItemSpec, Tracker, TrackerAuthError, WorkState
from tests.conftest import NOW, PG_URL_ENV
from tests.fakes.tracker import InMemoryTracker
from tests.support import pg_schema, wait_for
from workflows.errors import WorkflowError
from workflows.mirror import COMMENT
from workflows.models import (
    ControlTask,
    ItemKind,
    TrackerItem,
    Workspace,
    WorkspaceKind,
    WorkspaceState,
)
from workflows.outbox import enqueue, pending_count
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.tracking import sync_release

ROOT = Path(__file__).resolve().parents[1]
RETRY = 0.5
# Polls the election every RETRY s; touches `<dir>/ready-<pid>`, and `<dir>/leader-<pid>` while
# it leads; exits when the test process (its parent) is gone.
ELECT = """
import os, sys, time, pathlib
from bot.db import make_engine
from bot.leader import make_elector
url, out, retry, parent = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3]), os.getppid()
elector = make_elector(make_engine(url))
while os.getppid() == parent:
    if elector.poll():
        (out / f"leader-{os.getpid()}").touch()
    (out / f"ready-{os.getpid()}").touch()
    time.sleep(retry)
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (the advisory lock is per schema), or a skip."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"leader election on PostgreSQL needs {PG_URL_ENV} (a PostgreSQL URL)")
    with pg_schema(base, "cb_lead") as url:
        yield url


Spawn = Callable[[str], "subprocess.Popen[bytes]"]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start election processes that mark files in tmp_path; none outlives the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(url: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-c", ELECT, url, str(tmp_path), str(RETRY)]
        procs.append(subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL))
        return procs[-1]

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def _marked(out: Path, kind: str) -> set[int]:
    """Pids that touched `<kind>-<pid>` (kind: ready, leader)."""
    return {int(p.name.split("-")[1]) for p in out.glob(f"{kind}-*")}


def _one_leader_then_takeover(spawn: Spawn, url: str, out: Path) -> None:
    """Two processes: exactly one leads; after kill -9 of it the other leads within seconds."""
    pids = {spawn(url).pid, spawn(url).pid}
    assert wait_for(lambda: _marked(out, "ready") == pids, timeout=20), "electors did not start"
    time.sleep(3 * RETRY)
    leaders = _marked(out, "leader")
    assert len(leaders) == 1 and leaders < pids
    (other,) = pids - leaders
    os.kill(leaders.pop(), signal.SIGKILL)
    assert wait_for(lambda: other in _marked(out, "leader"), timeout=4 * RETRY + 2)


@pytest.mark.postgres
def test_postgres_elects_one_process_and_fails_over_after_kill_9(
    pg_url: str, spawn: Spawn, tmp_path: Path
) -> None:
    _one_leader_then_takeover(spawn, pg_url, tmp_path)


def test_sqlite_elects_one_process_and_fails_over_after_kill_9(
    spawn: Spawn, tmp_path: Path
) -> None:
    _one_leader_then_takeover(spawn, f"sqlite:///{tmp_path}/controlbot.db", tmp_path)


@pytest.mark.postgres
def test_a_leader_whose_connection_dies_steps_down_and_retries(pg_url: str) -> None:
    elector = AdvisoryLock(create_engine(pg_url).url)
    admin = create_engine(pg_url)
    try:
        assert elector.poll() and elector.is_leader
        with admin.begin() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE "
                    "locktype = 'advisory' AND granted AND classid = :ns AND objid = "
                    "((hashtext(current_schema())::bigint + 4294967296) % 4294967296)::oid"
                ),
                {"ns": LOCK_NAMESPACE},
            ).scalar()
        assert killed == 1
        assert not elector.poll() and not elector.is_leader
        assert elector.poll()  # the lock was freed with the session: take it again
    finally:
        elector.release()
        admin.dispose()


def test_a_file_lock_admits_one_holder_and_in_memory_sqlite_always_leads(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert first.poll() and first.poll() and not second.poll()
    first.release()
    first.release()
    assert second.poll() and second.is_leader and not first.is_leader
    second.release()
    memory = make_elector(create_engine("sqlite://"))
    assert memory.poll() and memory.is_leader


@contextmanager
def running(
    engine: Engine, tracker_for: Callable[[Workspace], Tracker], **overrides: float
) -> Iterator[sched.ControlScheduler]:
    """A started scheduler on fast settings, shut down afterwards."""
    values = {"worker_interval": 0.2, "leader_retry_seconds": 0.2, "jira_reconcile_minutes": 10.0}
    settings = Settings(**{**values, **overrides})  # type: ignore[arg-type]
    scheduler = sched.build_scheduler(settings=settings, engine=engine, tracker_for=tracker_for)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown()


def test_the_leader_schedules_exactly_the_job_list(engine: Engine) -> None:
    tracker = InMemoryTracker()
    with running(engine, lambda _ws: tracker) as scheduler:
        scheduler.start()  # idempotent
        assert wait_for(lambda: scheduler.running_jobs)
        jobs = {job.id: job for job in scheduler.jobs()}
        assert set(jobs) == {
            sched.DRAIN_OUTBOX,
            sched.RECONCILE_JIRA,
            sched.REMIND,
            sched.OPEN_REVIEWS,
        }
        assert jobs[sched.OPEN_REVIEWS].trigger.interval == timedelta(days=1)
        assert jobs[sched.REMIND].trigger.interval == timedelta(hours=1)
        assert isinstance(jobs[sched.DRAIN_OUTBOX].trigger, IntervalTrigger)
        assert jobs[sched.DRAIN_OUTBOX].trigger.interval == timedelta(seconds=0.2)
        assert jobs[sched.RECONCILE_JIRA].trigger.interval == timedelta(minutes=10)
        assert jobs[sched.DRAIN_OUTBOX].misfire_grace_time == sched.DRAIN_GRACE_SECONDS
        assert jobs[sched.RECONCILE_JIRA].misfire_grace_time == sched.RECONCILE_GRACE_SECONDS
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
        with engine.connect() as connection:
            stored = connection.execute(text(f"SELECT id FROM {sched.JOB_TABLE}")).scalars().all()
        assert sorted(stored) == sorted(jobs)
    scheduler.shutdown()  # idempotent
    assert not scheduler.is_leader and not scheduler.running_jobs
    # The job store's table is not ours: autogenerate (through env.py) ignores it.
    command.check(migrate.alembic_config(engine))


def test_a_second_scheduler_waits_and_takes_over_when_the_first_stops(engine: Engine) -> None:
    tracker = InMemoryTracker()
    with running(engine, lambda _ws: tracker) as first:
        assert wait_for(lambda: first.running_jobs)
        with running(engine, lambda _ws: tracker) as second:
            time.sleep(0.6)
            assert not second.is_leader and not second.running_jobs and second.jobs() == []
            first.shutdown()
            assert wait_for(lambda: second.running_jobs)


def test_drain_outbox_runs_the_queued_writes(engine: Engine, session: Session) -> None:
    tracker = InMemoryTracker()
    tracker.ensure_items(
        [ItemSpec(key="k", title="t", body="b")], maybe_exist=False, on_ensured=lambda _r: None
    )
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    assert workspace.id is not None
    enqueue(
        session=session,
        workspace_id=workspace.id,
        kind=COMMENT,
        key="comment:o/r#1",
        now=NOW,
        payload={"external_id": "o/r#1", "body": "hi"},
    )
    session.commit()
    assert pending_count(session=session) == 1
    with running(engine, lambda _ws: tracker):
        assert wait_for(lambda: tracker.items[1].comments == ["hi"])
        assert wait_for(lambda: pending_count(session=session) == 0)


T0 = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)  # long before the fake tracker's clock


def test_reconcile_goes_on_past_failing_workspaces(engine: Engine, session: Session) -> None:
    broken, bad, good, _off = (
        ensure_workspace(session=session, kind=WorkspaceKind.JIRA, name=f"j/{key}", now=T0)
        for key in ("AUTH", "BAD", "GOOD", "OFF")
    )
    _off.state = WorkspaceState.SUSPENDED  # not reconciled
    session.add(_off)
    session.commit()
    tracker = InMemoryTracker()
    task_id = _synced_release(session, good, tracker)
    asked: list[str] = []

    def tracker_for(workspace: Workspace) -> Tracker:
        asked.append(workspace.name)
        if workspace.id == broken.id:
            raise TrackerAuthError("Jira is not configured")
        if workspace.id == bad.id:
            raise WorkflowError("workspace has a bad Jira config")
        return tracker

    def done() -> bool:
        with Session(engine) as fresh:
            return (
                fresh.exec(select(ControlTask.status).where(ControlTask.id == task_id)).one()
                == "done"
            )

    with running(engine, tracker_for, worker_interval=3600, jira_reconcile_minutes=0.01):
        assert wait_for(done)
    assert asked[:3] == [broken.name, bad.name, good.name] and _off.name not in asked


def _synced_release(session: Session, workspace: Workspace, tracker: InMemoryTracker) -> int:
    """A release synced to the tracker; its first control is then marked done in the tracker."""
    config = RepoConfig(granularity=Granularity.CONTROL)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name="Atlas",
        version="2.0",
        actor="t",
        now=T0,
        target_date=date(2020, 3, 1),
    )
    sync_release(session=session, release=release, tracker=tracker, config=config, now=T0)
    item = session.exec(
        select(TrackerItem)
        .where(TrackerItem.release_id == release.id, TrackerItem.kind == ItemKind.CONTROL)
        .order_by(col(TrackerItem.id))
    ).first()
    assert item is not None and item.external_id is not None and item.task_id is not None
    tracker.items[int(item.external_id.rsplit("#", 1)[1])].state = WorkState.DONE
    return item.task_id
