"""Run outbox jobs against the trackers; each job makes a remote view match the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from integrations import (
    ItemNotFound,
    ItemRef,
    RateLimited,
    Tracker,
    TrackerAuthError,
    TrackerError,
    TrackerRejected,
    TrackerUnavailable,
    WorkState,
)
from integrations.capabilities import GateHost, GateReport, RepositoryAccess
from workflows import mirror
from workflows.command_jobs import RUN_COMMAND, run_command_job
from workflows.errors import WorkflowError
from workflows.gate import GATE_NAME, evaluate_gate
from workflows.models import (
    ControlTask,
    OutboxItem,
    Release,
    StatusChange,
    TrackerItem,
    Workspace,
)
from workflows.opening import START_RELEASE, start_release_job
from workflows.outbox import claim_due, complete, fail
from workflows.releases import release_tasks
from workflows.repo_config import RepoConfig
from workflows.reviews import OPEN_REVIEW, open_review_job
from workflows.status import ChangeSource, ControlStatus
from workflows.sync_errors import record_sync_failure
from workflows.tracking import sync_release, update_checklist

log = logging.getLogger(__name__)

TrackerFor = Callable[[Workspace], Tracker]
Clock = Callable[[], datetime]


class JobHandler(Protocol):
    """One kind of outbox job."""

    def __call__(
        self, *, session: Session, job: OutboxItem, tracker: Tracker, now: datetime
    ) -> None: ...


@dataclass
class DrainStats:
    """How a drain went."""

    done: int = 0
    retried: int = 0
    dead: int = 0


def drain(*, engine: Engine, tracker_for: TrackerFor, clock: Clock, limit: int = 20) -> DrainStats:
    """Claim due jobs and run them; failures retry with back-off or die when they cannot succeed."""
    stats = DrainStats()
    with Session(engine, expire_on_commit=False) as session:
        for job in claim_due(session=session, now=clock(), limit=limit):
            _run_one(session, job, tracker_for, clock, stats)
    return stats


def _run_one(
    session: Session, job: OutboxItem, tracker_for: TrackerFor, clock: Clock, stats: DrainStats
) -> None:
    """Run one job and record its outcome."""
    try:
        workspace = session.get(Workspace, job.workspace_id)
        assert workspace is not None
        HANDLERS[job.kind](session=session, job=job, tracker=tracker_for(workspace), now=clock())
    except RateLimited as exc:
        _failed(session, job, exc, clock(), stats, retry_after=exc.retry_after)
    except (TrackerUnavailable, IntegrityError) as exc:  # a racing replica: retry later
        _failed(session, job, exc, clock(), stats)
    except (TrackerAuthError, ItemNotFound, TrackerRejected, WorkflowError, KeyError) as exc:
        _failed(session, job, exc, clock(), stats, permanent=True)
    else:
        complete(session=session, item=job, now=clock())
        stats.done += 1


def _failed(
    session: Session,
    job: OutboxItem,
    exc: Exception,
    now: datetime,
    stats: DrainStats,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
) -> None:
    """Roll back the job's partial work and schedule a retry (or give up)."""
    session.rollback()
    log.warning("outbox job %s (%s) failed: %s", job.key, job.kind, type(exc).__name__)
    message = f"{type(exc).__name__}: {exc}"
    state = fail(
        session=session,
        item=job,
        error=message,
        now=now,
        retry_after=retry_after,
        permanent=permanent,
    )
    if state.value == "dead":
        stats.dead += 1
    else:
        stats.retried += 1


def _release(session: Session, job: OutboxItem) -> Release:
    release = session.get(Release, job.payload["release_id"])
    if release is None:
        raise WorkflowError(f"release {job.payload['release_id']} no longer exists")
    return release


def _item(session: Session, job: OutboxItem) -> tuple[TrackerItem, ItemRef]:
    item = session.get(TrackerItem, job.payload["item_id"])
    if item is None or item.external_id is None:
        raise WorkflowError(f"tracker item {job.payload['item_id']} has no remote issue")
    return item, ItemRef(item.tracker, item.external_id, item.url or "", item.internal_id)


def open_release(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Create the release's tracker items (resumable)."""
    release = _release(session, job)
    try:
        sync_release(
            session=session,
            release=release,
            tracker=tracker,
            config=RepoConfig.model_validate(release.config),
            now=now,
        )
    except TrackerError as exc:
        session.rollback()
        record_sync_failure(session=session, release=release, error=exc, now=now)
        raise
    mirror.enqueue_views(session=session, release=release, now=now)
    session.commit()


def item_state(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Make a control's own issue show the task's status, with a note saying who and why."""
    item, ref = _item(session, job)
    task = session.get(ControlTask, item.task_id)
    assert task is not None
    wanted, note = WorkState(task.status.value), _why(session, task)
    if note is None or tracker.notes_with_state:  # Jira: the note is part of the transition
        tracker.set_state(ref, wanted, note=note)
        return
    # Elsewhere the change and the note are two writes. The note is recorded on this job before
    # the change is written, so a retry after a failed comment or a crash past the change (which
    # then finds nothing to change) still owes it, and posts it once.
    owed = job.payload.get("note")
    if owed is None:
        _record_note(session, job, note)
    if tracker.set_state(ref, wanted) or owed is not None:
        tracker.comment(ref, str(owed or note))


def _record_note(session: Session, job: OutboxItem, note: str) -> None:
    """Commit the note into the job's payload, where a retry of this job will find it."""
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == job.id)
        .values(payload={**job.payload, "note": note})
    )
    session.commit()


def _why(session: Session, task: ControlTask) -> str | None:
    """`ana marked this done via cli: reason` from the task's latest audit row."""
    change = session.exec(
        select(StatusChange)
        .where(StatusChange.task_id == task.id)
        .order_by(col(StatusChange.at).desc(), col(StatusChange.id).desc())
    ).first()
    if change is None:
        return None
    reason = f": {change.note}" if change.note else ""
    return f"{change.actor} marked this {change.to_status.value} via {change.source.value}{reason}"


def checklist(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Rewrite the parent issue's checklist section."""
    update_checklist(session=session, release=_release(session, job), tracker=tracker, now=now)


def gate(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Publish the release gate as a check run on the release's commit and its release PRs."""
    release = _release(session, job)
    shas = list(dict.fromkeys([s for s in [release.gate_sha, *release.pr_shas] if s]))
    if not isinstance(tracker, GateHost) or not shas:
        return
    config = RepoConfig.model_validate(release.config)
    tasks = release_tasks(session=session, release=release)
    verdict = evaluate_gate(tasks, requirement=config.gate.required, problems=release.problems)
    for sha in shas:
        tracker.publish_gate(
            GateReport(
                sha=sha,
                name=GATE_NAME,
                conclusion=verdict.conclusion,
                title=verdict.title,
                summary=verdict.summary,
                external_id=f"controlbot:{release.slug}",
            )
        )


def comment(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Post a prepared comment on a tracked item, or on any issue named by `external_id`."""
    if "item_id" in job.payload:
        _, ref = _item(session, job)
    else:
        ref = ItemRef(tracker.name, str(job.payload["external_id"]), "")
    tracker.comment(ref, str(job.payload["body"]))


def close_reason(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Closed as not planned: the closer's latest comment is the justification, else ask for one."""
    item, ref = _item(session, job)
    task = session.get(ControlTask, item.task_id)
    assert task is not None
    author = str(job.payload["author"])
    reason = (
        tracker.latest_comment(ref, author=author)
        if isinstance(tracker, RepositoryAccess)
        else None
    )
    if reason and reason.strip() and not reason.strip().startswith("/controls"):
        mirror.change_status(
            session=session,
            task=task,
            status=ControlStatus.NOT_APPLICABLE,
            actor=author,
            source=ChangeSource.WEBHOOK,
            now=now,
            note=reason.strip(),
        )
        return
    tracker.comment(
        ref,
        f"@{author} this control is only *not applicable* with a reason. Reply "
        "`/controls na REASON` to record why; until then it stays open in the release.",
    )


HANDLERS: dict[str, JobHandler] = {
    START_RELEASE: start_release_job,
    RUN_COMMAND: run_command_job,
    mirror.OPEN_RELEASE: open_release,
    mirror.ITEM_STATE: item_state,
    mirror.CHECKLIST: checklist,
    mirror.GATE: gate,
    mirror.COMMENT: comment,
    "close_reason": close_reason,
    OPEN_REVIEW: open_review_job,
}


def register(kind: str, handler: JobHandler) -> None:
    """Add a job kind (commands and other packages plug in here)."""
    HANDLERS[kind] = handler
