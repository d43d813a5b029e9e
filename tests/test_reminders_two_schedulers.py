"""Two real `controlbot scheduler` processes on one PostgreSQL database: one reminder sender.

Both processes run the scheduler with a reminder sweep every 0.6 s. The leader claims the due
reminders and queues one digest per release; then it is killed with SIGKILL, the other takes
over and sweeps the same period again, which must claim and queue nothing more.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot import migrate
from bot.db import make_engine
from control_catalog import load_bundled
from tests.conftest import NOW, PG_URL_ENV
from tests.fakes.tracker import InMemoryTracker
from tests.support import pg_schema, wait_for
from workflows.mirror import COMMENT
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    Release,
    Reminder,
    TrackerItem,
    WorkspaceKind,
)
from workflows.releases import create_release, ensure_workspace, release_tasks
from workflows.repo_config import Granularity, ReminderConfig, RepoConfig
from workflows.tracking import sync_release

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
# No quiet days: the processes use the wall clock, and the test must not depend on the weekday.
CONFIG = RepoConfig(
    granularity=Granularity.CHECKLIST,
    reminders=ReminderConfig(quiet_days=[], escalate_to=["rm"]),
)
ENV = {
    "CONTROLBOT_REMIND_MINUTES": "0.01",  # a sweep every 0.6 s
    "CONTROLBOT_LEADER_RETRY_SECONDS": "0.3",
    "CONTROLBOT_WORKER_INTERVAL": "3600",  # no drain: the queued digests stay countable
    "CONTROLBOT_JIRA_RECONCILE_MINUTES": "60",
    "CONTROLBOT_LOG_LEVEL": "INFO",
}
LEADING = "scheduler: leading"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (the advisory lock is per schema), or a skip."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"two schedulers need PostgreSQL's advisory lock: set {PG_URL_ENV}")
    with pg_schema(base, "cb_remind") as url:
        yield url


def _release(session: Session, tracker: InMemoryTracker, version: str) -> Release:
    """A synced release with one task due tomorrow and one overdue by two days (UTC)."""
    today = datetime.now(UTC).date()
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name="Atlas",
        version=version,
        actor="manager",
        now=NOW,
        target_date=today + timedelta(days=20),
    )
    release.config = CONFIG.model_dump(mode="json")
    session.add(release)
    session.execute(
        update(ControlTask).where(col(ControlTask.release_id) == release.id).values(due_date=None)
    )
    tasks = {t.control_id: t for t in release_tasks(session=session, release=release)}
    for control_id, due, owner in (
        ("GV-1.1", today + timedelta(days=1), "alice"),
        ("GV-1.2", today - timedelta(days=2), "bob"),
    ):
        tasks[control_id].due_date, tasks[control_id].owner = due, owner
        session.add(tasks[control_id])
    session.commit()
    sync_release(session=session, release=release, tracker=tracker, config=CONFIG, now=NOW)
    return release


def _digests(engine: Engine) -> Counter[str]:
    """The queued reminder digests (COMMENT jobs), counted by the parent they go to."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxItem).where(
                OutboxItem.kind == COMMENT, col(OutboxItem.key).startswith("reminders:")
            )
        ).all()
    return Counter(str(row.payload["external_id"]) for row in rows)


def _reminders(engine: Engine) -> Counter[tuple[int, str, str]]:
    """The claimed reminder rows, counted by (task, kind, period)."""
    with Session(engine) as session:
        rows = session.exec(select(Reminder)).all()
    return Counter((row.task_id, row.kind.value, row.period) for row in rows)


def _command() -> list[str]:
    """`controlbot scheduler`, from the interpreter's own environment."""
    script = shutil.which("controlbot", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script, "scheduler"]
    return [sys.executable, "-c", "from bot.cli import main; main()", "scheduler"]


def test_two_scheduler_processes_send_each_reminder_once(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    tracker = InMemoryTracker()
    with Session(engine, expire_on_commit=False) as session:
        releases = [_release(session, tracker, version) for version in ("2.0", "2.1")]
        parents = set(
            session.exec(
                select(TrackerItem.external_id).where(
                    col(TrackerItem.release_id).in_([r.id for r in releases]),
                    TrackerItem.kind == ItemKind.PARENT,
                )
            ).all()
        )
        due = session.exec(
            select(func.count())
            .select_from(ControlTask)
            .where(col(ControlTask.due_date).is_not(None))
        ).one()
    assert due == 4 and len(parents) == 2
    env = {**os.environ, **ENV, "CONTROLBOT_DATABASE_URL": pg_url}
    procs: dict[int, subprocess.Popen[bytes]] = {}
    logs: dict[int, Path] = {}
    try:
        for n in range(2):
            log = tmp_path / f"scheduler-{n}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(_command(), cwd=ROOT, env=env, stdout=out, stderr=out)
            procs[proc.pid], logs[proc.pid] = proc, log

        def leaders() -> set[int]:
            return {pid for pid, log in logs.items() if LEADING in log.read_text(errors="replace")}

        assert wait_for(lambda: len(_digests(engine)) == 2, timeout=15), _tails(logs)
        assert len(leaders()) == 1, _tails(logs)
        (first,) = leaders()
        time.sleep(2.0)  # three more sweeps by the leader: nothing new to claim
        assert all(proc.poll() is None for proc in procs.values()), _tails(logs)

        os.kill(first, signal.SIGKILL)
        procs[first].wait(timeout=10)
        (second,) = set(procs) - {first}
        assert wait_for(lambda: second in leaders(), timeout=6), _tails(logs)
        time.sleep(2.0)  # the new leader sweeps the same period three times

        assert procs[second].poll() is None, _tails(logs)
        assert _digests(engine) == Counter(parents)
        claimed = _reminders(engine)
        assert len(claimed) == 4 and set(claimed.values()) == {1}
        assert {kind for _task, kind, _period in claimed} == {"due_soon", "overdue"}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        engine.dispose()


def _tails(logs: dict[int, Path]) -> str:
    """The end of each process's log, for a failure message."""
    return "\n".join(
        f"--- {pid}:\n{log.read_text(errors='replace')[-1500:]}" for pid, log in logs.items()
    )
