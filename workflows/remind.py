"""The reminder sweep: pick candidate tasks, claim reminders in SQL, queue one digest per release.

A reminder row is inserted (ON CONFLICT DO NOTHING on task, kind and period) in the same
transaction as the digest's outbox job, and only the rows this run inserted go into the digest:
a job that fires twice, or two replicas, never send a reminder twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
from workflows.status import CLOSED
from workflows.upsert import insert_for

TRACKED_KINDS = (WorkspaceKind.GITHUB, WorkspaceKind.JIRA)


@dataclass(frozen=True)
class Digest:
    """One reminder comment for one release's parent tracker item."""

    release_slug: str
    external_id: str
    body: str
    reminders: int


def send_reminders(*, session: Session, now: datetime, dry_run: bool = False) -> list[Digest]:
    """Claim the due reminders of every open tracked release and queue their digests."""
    digests: list[Digest] = []
    for release, workspace in _open_releases(session):
        digest = _sweep_release(session, release, workspace, now, dry_run)
        if digest is not None:
            digests.append(digest)
    if dry_run:
        session.rollback()
    return digests


def _open_releases(session: Session) -> list[tuple[Release, Workspace]]:
    """Open releases in active GitHub or Jira workspaces."""
    query = (
        select(Release, Workspace)
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .where(
            Release.state == ReleaseState.OPEN,
            Workspace.state == WorkspaceState.ACTIVE,
            col(Workspace.kind).in_(TRACKED_KINDS),
        )
        .order_by(col(Release.id))
    )
    return [(release, workspace) for release, workspace in session.exec(query).all()]


def _sweep_release(
    session: Session, release: Release, workspace: Workspace, now: datetime, dry_run: bool
) -> Digest | None:
    """Decide, claim and (unless dry run) queue one release's digest, committing it."""
    config = RepoConfig.model_validate(release.config).reminders
    parent = _parent(session, release)
    if not config.enabled or parent is None or parent.external_id is None:
        return None
    tasks = _candidates(session, release, config, now)
    managers = config.escalate_to or [release.created_by]
    decisions = decide(
        tasks=tasks,
        history=_history(session, tasks),
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


def _parent(session: Session, release: Release) -> TrackerItem | None:
    """The release's first parent tracker item that exists remotely."""
    query = (
        select(TrackerItem)
        .where(
            TrackerItem.release_id == release.id,
            TrackerItem.kind == ItemKind.PARENT,
            col(TrackerItem.external_id).is_not(None),
        )
        .order_by(col(TrackerItem.id))
    )
    return session.exec(query).first()


def _candidates(
    session: Session, release: Release, config: ReminderConfig, now: datetime
) -> list[ControlTask]:
    """Open tasks of the release due within the lead window (indexed on status and due date)."""
    query = (
        select(ControlTask)
        .where(
            ControlTask.release_id == release.id,
            col(ControlTask.status).not_in(CLOSED),
            col(ControlTask.due_date).is_not(None),
            col(ControlTask.due_date) <= window_end(config, now),
        )
        .order_by(col(ControlTask.due_date), col(ControlTask.position))
    )
    return list(session.exec(query).all())


def _history(session: Session, tasks: Sequence[ControlTask]) -> dict[int, list[Sent]]:
    """The reminders already claimed for these tasks."""
    history: dict[int, list[Sent]] = defaultdict(list)
    ids = [t.id for t in tasks if t.id is not None]
    if not ids:
        return history
    rows = session.exec(select(Reminder).where(col(Reminder.task_id).in_(ids))).all()
    for row in rows:
        history[row.task_id].append(Sent(row.kind, row.period, row.sent_at))
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


def _line(task: ControlTask, decision: Decision) -> str:
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
    tasks: Sequence[ControlTask],
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
