"""The reminder sweep on SQLite and PostgreSQL: claims, digests, dry run, concurrency, snooze."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from control_catalog import load_bundled
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.command_jobs import RUN_COMMAND, run_command_job
from workflows.jobs import drain
from workflows.mirror import COMMENT
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    Release,
    ReleaseState,
    Reminder,
    TrackerItem,
    WorkspaceKind,
)
from workflows.outbox import pending_count
from workflows.releases import create_release, ensure_workspace, release_tasks
from workflows.remind import Digest, send_reminders
from workflows.repo_config import Granularity, ReminderConfig, RepoConfig
from workflows.tracking import sync_release

CATALOG = load_bundled("gpai-profile@1.2")
RUN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
CONFIG = RepoConfig(granularity=Granularity.CHECKLIST, reminders=ReminderConfig(escalate_to=["rm"]))


def _release(session: Session, tracker: InMemoryTracker, version: str = "2.0") -> Release:
    """A synced release: GV-1.1 due soon (alice), GV-1.2 overdue (bob), the rest undated."""
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=CATALOG,
        name="Atlas",
        version=version,
        actor="manager",
        now=NOW,
        target_date=date(2026, 12, 15),
    )
    release.config = CONFIG.model_dump(mode="json")
    session.add(release)
    session.execute(
        update(ControlTask).where(col(ControlTask.release_id) == release.id).values(due_date=None)
    )
    tasks = {t.control_id: t for t in release_tasks(session=session, release=release)}
    for control_id, due, owner in (
        ("GV-1.1", date(2026, 12, 3), "alice"),
        ("GV-1.2", date(2026, 11, 27), "@bob"),
    ):
        tasks[control_id].due_date, tasks[control_id].owner = due, owner
        session.add(tasks[control_id])
    session.commit()
    sync_release(session=session, release=release, tracker=tracker, config=CONFIG, now=NOW)
    return release


def _count(session: Session, model: type[Reminder] | type[OutboxItem]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_one_digest_per_release_and_nothing_again_in_the_same_period(session: Session) -> None:
    tracker = InMemoryTracker()
    _release(session, tracker)
    outbox_before = _count(session, OutboxItem)
    digests = send_reminders(session=session, now=RUN)
    assert [(d.release_slug, d.reminders) for d in digests] == [("atlas-2.0", 2)]
    body = digests[0].body
    assert "@alice" in body and "@bob" in body and "**GV-1.1**" in body
    assert "due 2026-11-27, overdue by 4 days" in body
    assert "/controls snooze DAYS" in body and "`.github/controlbot.yml`" in body
    assert _count(session, Reminder) == 2
    assert _count(session, OutboxItem) == outbox_before + 1
    assert send_reminders(session=session, now=RUN) == []
    assert send_reminders(session=session, now=RUN + timedelta(hours=1)) == []
    assert _count(session, Reminder) == 2 and _count(session, OutboxItem) == outbox_before + 1


def test_dry_run_decides_and_renders_but_writes_nothing(session: Session) -> None:
    _release(session, InMemoryTracker())
    before = _count(session, OutboxItem)
    digests = send_reminders(session=session, now=RUN, dry_run=True)
    assert len(digests) == 1 and "@alice" in digests[0].body
    assert _count(session, Reminder) == 0 and _count(session, OutboxItem) == before
    assert len(send_reminders(session=session, now=RUN, dry_run=True)) == 1


def test_escalation_mentions_the_release_manager_after_two_overdue_reminders(
    session: Session,
) -> None:
    _release(session, InMemoryTracker())
    bodies = [
        d.body
        for day in (0, 1, 3)  # overdue reminders 1 and 2, then 3 with the escalation
        for d in send_reminders(session=session, now=RUN + timedelta(days=day))
    ]
    assert len(bodies) == 3
    assert "Escalation" not in bodies[1] and "**Escalation** to @rm" in bodies[2]
    assert "(owner @bob)" in bodies[2]


def test_end_to_end_one_comment_on_each_parent_and_none_on_the_next_run(engine: Engine) -> None:
    tracker = InMemoryTracker()
    with Session(engine, expire_on_commit=False) as session:
        releases = [_release(session, tracker, v) for v in ("2.0", "2.1")]
    for _ in range(3):
        drain(engine=engine, tracker_for=lambda _ws: tracker, clock=lambda: RUN)
    for run in (RUN, RUN + timedelta(hours=1)):
        with Session(engine, expire_on_commit=False) as session:
            send_reminders(session=session, now=run)
        drain(engine=engine, tracker_for=lambda _ws: tracker, clock=lambda at=run: at)
    with Session(engine) as session:
        assert pending_count(session=session) == 0
    for release in releases:
        parent = tracker.by_key(release.slug)
        assert len(parent.comments) == 1
        assert parent.comments[0].startswith("### Reminders for Atlas")
        assert "@alice" in parent.comments[0]


def test_concurrent_sweeps_claim_each_reminder_once(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for version in ("2.0", "2.1", "2.2"):
            _release(session, InMemoryTracker(), version)
    barrier = threading.Barrier(2)
    results: list[list[Digest]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                results.append(send_reminders(session=session, now=RUN))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    digests = [d for result in results for d in result]
    with Session(engine) as session:
        claimed = _count(session, Reminder)
        comments = session.exec(select(OutboxItem).where(OutboxItem.kind == COMMENT)).all()
    assert claimed == 6 and sum(d.reminders for d in digests) == 6
    assert len(comments) == len(digests) == 3
    assert sorted(d.release_slug for d in digests) == ["atlas-2.0", "atlas-2.1", "atlas-2.2"]


def test_snooze_command_silences_a_task(session: Session) -> None:
    tracker = InMemoryTracker()
    tracker.permissions["ana"] = "write"
    release = _release(session, tracker)
    parent = session.exec(
        select(TrackerItem).where(
            TrackerItem.release_id == release.id, TrackerItem.kind == ItemKind.PARENT
        )
    ).one()
    job = OutboxItem(
        key="command:1",
        workspace_id=release.workspace_id,
        kind=RUN_COMMAND,
        payload={
            "name": "snooze",
            "control_id": "GV-1.2",
            "days": 7,
            "external_id": parent.external_id,
            "author": "ana",
        },
        next_attempt_at=RUN,
        created_at=RUN,
        updated_at=RUN,
    )
    run_command_job(session=session, job=job, tracker=tracker, now=RUN)
    comments = tracker.by_key(release.slug).comments
    assert comments[-1] == "Reminders for GV-1.2 are snoozed until 2026-12-08 09:00 UTC."
    digests = send_reminders(session=session, now=RUN + timedelta(hours=1))
    assert [d.reminders for d in digests] == [1] and "GV-1.2" not in digests[0].body
    later = send_reminders(session=session, now=RUN + timedelta(days=8))
    assert [d.reminders for d in later] == [2] and "**GV-1.2**" in later[0].body  # both overdue


def test_closed_releases_get_no_reminders(session: Session) -> None:
    release = _release(session, InMemoryTracker())
    release.state = ReleaseState.CLOSED
    session.add(release)
    session.commit()
    assert send_reminders(session=session, now=RUN) == []


def test_nothing_is_claimed_on_a_quiet_day(session: Session) -> None:
    _release(session, InMemoryTracker())
    assert send_reminders(session=session, now=datetime(2026, 12, 5, 9, tzinfo=UTC)) == []
    assert _count(session, Reminder) == 0
