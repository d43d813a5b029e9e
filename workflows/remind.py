"""The reminder sweep: pick candidate tasks, claim reminders in SQL, queue one digest per release.

A reminder row is inserted (ON CONFLICT DO NOTHING on task, kind and period) in the same
transaction as the digest's outbox job, and only the rows this run inserted go into the digest:
a job that fires twice, or two replicas, never send a reminder twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from workflows.mirror import COMMENT
from workflows.models import (
    ControlTask,
    ItemKind,
    Release,
    ReleaseState,
    Reminder,
    ReminderKind,
    TrackerItem,
    Workspace,
    WorkspaceKind,
    WorkspaceState,
)
from workflows.outbox import enqueue
from workflows.reminders import Decision, Sent, decide, today_in, window_end
from workflows.repo_config import CONFIG_PATH, ReminderConfig, RepoConfig
from workflows.status import CLOSED, ControlStatus
from workflows.upsert import insert_for

TRACKED_KINDS = (WorkspaceKind.GITHUB, WorkspaceKind.JIRA)
OPEN_STATUSES = tuple(s for s in ControlStatus if s not in CLOSED)


@dataclass(frozen=True)
class Digest:
    """One reminder comment for one release's parent tracker item."""

    release_slug: str
    external_id: str
    body: str
    reminders: int


def send_reminders(*, session: Session, now: datetime, dry_run: bool = False) -> list[Digest]:
    """Claim the due reminders of every open tracked release and queue their digests.

    ONE indexed query (`ix_controltask_status_due`: open statuses, due on or before the widest
    lead window of the open releases' configs) brings the candidates of all releases; only the
    releases that have candidates are then loaded, with their parents and reminder history,
    each in one query on the same condition (a subquery, not a list of ids).
    """
    bound = window_bound(session, now)
    if bound is None:
        return []
    by_release: dict[int, list[Candidate]] = defaultdict(list)
    for task in _all_candidates(session, bound):
        by_release[task.release_id].append(task)
    if not by_release:
        return []
    releases = _releases(session, bound)
    parents = _parents(session, bound)
    history = _history(session, bound)
    digests: list[Digest] = []
    for release, workspace in releases:
        assert release.id is not None
        digest = _sweep_release(
            session,
            release,
            workspace,
            parents.get(release.id),
            by_release[release.id],
            history,
            now,
            dry_run,
        )
        if digest is not None:
            digests.append(digest)
    if dry_run:
        session.rollback()
    return digests


def _tracked() -> list[Any]:
    """The conditions on a release and its workspace for it to be swept."""
    return [
        Release.state == ReleaseState.OPEN,
        Workspace.state == WorkspaceState.ACTIVE,
        col(Workspace.kind).in_(TRACKED_KINDS),
    ]


def window_bound(session: Session, now: datetime) -> date | None:
    """The latest window end among the open releases' distinct reminder configs (few rows)."""
    raw = sa.cast(col(Release.config)["reminders"], sa.Text)
    query = (
        select(raw)
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .where(*_tracked())
        .distinct()
    )
    ends: list[date] = []
    for text in session.exec(query).all():
        try:
            value = json.loads(text) if text is not None else None
            config = ReminderConfig.model_validate(value if value is not None else {})
        except (ValueError, ValidationError):
            continue  # refused when its release is swept, as before; it does not widen the window
        if config.enabled:
            ends.append(window_end(config, now))
    return max(ends, default=None)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the sweep needs of an open, dated control task (not the whole ORM row)."""

    id: int
    release_id: int
    control_id: str
    title: str
    owner: str | None
    status: ControlStatus
    due_date: date
    snoozed_until: datetime | None


CANDIDATE_COLUMNS = (
    ControlTask.id,
    ControlTask.release_id,
    ControlTask.control_id,
    ControlTask.title,
    ControlTask.owner,
    ControlTask.status,
    ControlTask.due_date,
    ControlTask.snoozed_until,
)


def candidate_query(bound: date) -> sa.Select[*tuple[Any, ...]]:
    """Open tasks of open tracked releases due by `bound`, on the (status, due_date) index."""
    return _candidates_of(bound, *(col(c) for c in CANDIDATE_COLUMNS)).order_by(
        col(ControlTask.release_id), col(ControlTask.due_date), col(ControlTask.position)
    )


def _all_candidates(session: Session, bound: date) -> Iterator[Candidate]:
    """The candidates of every release, from one query, streamed in batches."""
    result = session.execute(candidate_query(bound), execution_options={"yield_per": 2000})
    for row in result:
        yield Candidate(*row)


def _candidates_of(bound: date, *columns: Any) -> sa.Select[*tuple[Any, ...]]:
    """`columns` of the candidates: open tasks of open tracked releases due by `bound`."""
    return (
        sa.select(*columns)
        .join(Release, col(Release.id) == col(ControlTask.release_id))
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .where(
            col(ControlTask.status).in_(OPEN_STATUSES),
            col(ControlTask.due_date).is_not(None),
            col(ControlTask.due_date) <= bound,
            *_tracked(),
        )
    )


def _releases(session: Session, bound: date) -> list[tuple[Release, Workspace]]:
    """The releases that have candidates, with their workspaces, in id order."""
    query = (
        select(Release, Workspace)
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .where(col(Release.id).in_(_candidates_of(bound, col(ControlTask.release_id))))
        .order_by(col(Release.id))
    )
    return [(release, workspace) for release, workspace in session.exec(query).all()]


def _parents(session: Session, bound: date) -> dict[int, TrackerItem]:
    """The first parent tracker item that exists remotely of each release with candidates."""
    query = (
        select(TrackerItem)
        .where(
            col(TrackerItem.release_id).in_(_candidates_of(bound, col(ControlTask.release_id))),
            TrackerItem.kind == ItemKind.PARENT,
            col(TrackerItem.external_id).is_not(None),
        )
        .order_by(col(TrackerItem.id))
    )
    parents: dict[int, TrackerItem] = {}
    for item in session.exec(query).all():
        parents.setdefault(item.release_id, item)
    return parents


def _sweep_release(
    session: Session,
    release: Release,
    workspace: Workspace,
    parent: TrackerItem | None,
    candidates: Sequence[Candidate],
    history: dict[int, list[Sent]],
    now: datetime,
    dry_run: bool,
) -> Digest | None:
    """Decide, claim and (unless dry run) queue one release's digest, committing it."""
    config = RepoConfig.model_validate(release.config).reminders
    if not config.enabled or parent is None or parent.external_id is None:
        return None
    end = window_end(config, now)
    tasks = [t for t in candidates if t.due_date <= end]
    if not tasks:
        return None
    managers = config.escalate_to or [release.created_by]
    decisions = decide(
        tasks=tasks,
        history=history,
        config=config,
        now=now,
        escalate_to=managers,
    )
    claimed = decisions if dry_run else _claim(session, release, decisions, now)
    if not claimed:
        return None
    body = render_digest(release=release, tasks=tasks, decisions=claimed, config=config)
    if not dry_run:
        assert parent.id is not None and workspace.id is not None
        batch = hashlib.sha1(repr(sorted(_keys(claimed))).encode()).hexdigest()[:12]
        enqueue(
            session=session,
            workspace_id=workspace.id,
            kind=COMMENT,
            key=f"reminders:{release.id}:{today_in(config, now).isoformat()}:{batch}",
            now=now,
            payload={"item_id": parent.id, "external_id": parent.external_id, "body": body},
        )
        session.commit()
    return Digest(release.slug, parent.external_id, body, len(claimed))


def _history(session: Session, bound: date) -> dict[int, list[Sent]]:
    """The reminders already claimed for the candidates."""
    history: dict[int, list[Sent]] = defaultdict(list)
    query = sa.select(
        col(Reminder.task_id), col(Reminder.kind), col(Reminder.period), col(Reminder.sent_at)
    ).where(col(Reminder.task_id).in_(_candidates_of(bound, col(ControlTask.id))))
    for task_id, kind, period, sent_at in session.execute(query):
        history[task_id].append(Sent(kind, period, sent_at))
    return history


def _keys(decisions: Sequence[Decision]) -> list[tuple[int, str, str]]:
    """The (task, kind, period) claim keys of decisions."""
    return [(d.task_id, d.kind.value, d.period) for d in decisions]


def _claim(
    session: Session, release: Release, decisions: Sequence[Decision], now: datetime
) -> list[Decision]:
    """Insert the reminder rows; keep only the decisions whose row this run inserted."""
    if not decisions:
        return []
    rows = [
        {
            "task_id": d.task_id,
            "release_id": release.id,
            "kind": d.kind.value,
            "period": d.period,
            "sent_at": now,
        }
        for d in sorted(decisions, key=lambda d: (d.task_id, d.kind.value, d.period))
    ]
    table = Reminder.__table__  # type: ignore[attr-defined]
    statement = (
        insert_for(session, table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["task_id", "kind", "period"])
        .returning(table.c.task_id, table.c.kind, table.c.period)
    )
    inserted = {(r.task_id, ReminderKind(r.kind), r.period) for r in session.execute(statement)}
    return [d for d in decisions if (d.task_id, d.kind, d.period) in inserted]


def _mention(login: str) -> str:
    """`@login` for a GitHub-style login; other actors (e.g. `cli:ana`) as they are."""
    name = login.strip().removeprefix("@")
    return f"@{name}" if name and all(c.isalnum() or c == "-" for c in name) else f"`{name}`"


def _line(task: Candidate, decision: Decision) -> str:
    """One item of a person's list."""
    when = (
        f"overdue by {decision.overdue_days} day{'s' if decision.overdue_days != 1 else ''}"
        if decision.kind is not ReminderKind.DUE_SOON
        else "due soon"
    )
    return f"- **{task.control_id}** {task.title}: due {decision.due_date.isoformat()}, {when}"


def render_digest(
    *,
    release: Release,
    tasks: Sequence[Candidate],
    decisions: Sequence[Decision],
    config: ReminderConfig,
) -> str:
    """The digest: each person's items with a mention, escalations, then how to snooze."""
    by_id = {t.id: t for t in tasks}
    people: dict[str, list[str]] = defaultdict(list)
    escalated: list[str] = []
    managers: tuple[str, ...] = ()
    for d in decisions:
        task = by_id[d.task_id]
        owner = task.owner or release.created_by
        if d.kind is ReminderKind.ESCALATION:
            escalated.append(f"{_line(task, d)} (owner {_mention(owner)})")
            managers = d.escalate_to
        else:
            people[_mention(owner)].append(_line(task, d))
    parts = [f"### Reminders for {release.name} {release.version}"]
    for person, lines in sorted(people.items()):
        parts.append(f"{person}\n" + "\n".join(lines))
    if escalated:
        who = " ".join(_mention(m) for m in managers)
        parts.append(
            f"**Escalation** to {who}: still overdue after {config.escalate_after} reminders\n"
            + "\n".join(escalated)
        )
    parts.append(_footer())
    return "\n\n".join(parts)


def _footer() -> str:
    """How to snooze and how to configure, at the end of every reminder."""
    return (
        "---\n"
        "<sub>Snooze: reply `/controls snooze DAYS` on the control's item, or "
        "`/controls snooze ID DAYS` here. Configure under `reminders:` in "
        f"`{CONFIG_PATH}` (lead, escalate_after, escalate_to, backoff_days, max_reminders, "
        "quiet_days, timezone, enabled).</sub>"
    )
