"""Open a release's tracker items: idempotent, resumable, one write intent recorded per item.

Each item's row is committed with `attempts` raised *before* the tracker is asked to create it,
and its ref is committed the moment the create returns. A re-run therefore creates only what
is missing, and an item whose create may have happened (timeout, 500, crash) is searched for
by key before any new create: exactly one item per key, however the run ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from control_catalog import Priority
from integrations import EnsureResult, ItemRef, ItemSpec, Tracker
from integrations.capabilities import ChecklistHost, ChildLinker, ParentMaker, RepositorySetup
from workflows import views
from workflows.locks import release_lock
from workflows.models import ControlTask, ItemKind, Release, TrackerItem
from workflows.progress import summarize
from workflows.releases import release_tasks
from workflows.repo_config import Granularity, RepoConfig

MAX_CHILDREN = 100
Progress = Callable[[int, int], None]


@dataclass
class SyncReport:
    """What one sync did: items created or found again, links made, checklist writes."""

    created: int = 0
    found: int = 0
    linked: int = 0
    checklist_written: bool = False
    keys: list[str] = field(default_factory=list)


def wants_own_item(task: ControlTask, granularity: Granularity) -> bool:
    """Whether a control gets its own issue besides its checklist line."""
    if granularity is Granularity.CONTROL:
        return True
    return granularity is Granularity.HIGH and task.priority is Priority.HIGH


def sync_release(
    *,
    session: Session,
    release: Release,
    tracker: Tracker,
    config: RepoConfig,
    now: datetime,
    on_progress: Progress | None = None,
    max_children: int = MAX_CHILDREN,
) -> SyncReport:
    """Bring the tracker in line with the release: setup, parents, items, links, checklist.

    One sync per release at a time (a second replica waits, then finds everything created).
    """
    assert release.id is not None
    with release_lock(session, release.id):
        return _sync(session, release, tracker, config, now, on_progress, max_children)


def _sync(
    session: Session,
    release: Release,
    tracker: Tracker,
    config: RepoConfig,
    now: datetime,
    on_progress: Progress | None,
    max_children: int,
) -> SyncReport:
    """The sync itself, under the release's lock."""
    tasks = release_tasks(session=session, release=release)
    children = [t for t in tasks if wants_own_item(t, config.granularity)]
    report = SyncReport()
    if isinstance(tracker, RepositorySetup):
        tracker.ensure_labels(views.all_labels(config.labels))
        tracker.ensure_milestone(views.milestone_title(release), due_on=release.target_date)
    wanted_parents = _parent_rows(release, len(children), max_children)
    parents = _ensure_rows(session, release, tracker.name, wanted_parents, now)
    child_rows = _ensure_rows(session, release, tracker.name, _child_rows(release, children), now)
    opening = "Opening the control issues…" if children else None
    section = _section(session, release, today=now.date(), opening=opening)
    specs = _specs(release, tasks, config, parents, section)
    done = sum(1 for row in [*parents, *child_rows] if row.external_id)
    total = len(parents) + len(child_rows)
    for batch in (parents, child_rows):
        done = _create_missing(
            session, tracker, batch, specs, now, report, done, total, on_progress
        )
    report.linked = _link_children(session, tracker, parents, child_rows, now, max_children)
    report.checklist_written = update_checklist(
        session=session, release=release, tracker=tracker, now=now
    )
    return report


def update_checklist(
    *, session: Session, release: Release, tracker: Tracker, now: datetime
) -> bool:
    """Rewrite the checklist section of the release's first parent issue if it changed."""
    if not isinstance(tracker, ChecklistHost):
        return False
    parent = session.exec(
        select(TrackerItem)
        .where(
            TrackerItem.release_id == release.id,
            TrackerItem.kind == ItemKind.PARENT,
            TrackerItem.tracker == tracker.name,
        )
        .order_by(col(TrackerItem.id))
    ).first()
    if parent is None or parent.external_id is None:
        return False
    section = _section(session, release, today=now.date())
    return tracker.update_section(_ref(parent, tracker.name), section)


def _section(session: Session, release: Release, *, today: date, opening: str | None = None) -> str:
    """The checklist section for the release as the database has it now."""
    tasks = release_tasks(session=session, release=release)
    items = {
        row.task_id: row
        for row in session.exec(
            select(TrackerItem).where(
                TrackerItem.release_id == release.id, TrackerItem.kind == ItemKind.CONTROL
            )
        ).all()
        if row.task_id is not None
    }
    progress = summarize(tasks, today=today)
    return views.checklist_section(tasks, items, progress, release.problems, opening)


def _parent_rows(
    release: Release, children: int, max_children: int
) -> list[tuple[str, ItemKind, int | None]]:
    """Keys of the parent issues: one per `max_children` children (GitHub caps them at 100)."""
    count = max(1, -(-children // max_children))
    return [(_parent_key(release, i), ItemKind.PARENT, None) for i in range(1, count + 1)]


def _parent_key(release: Release, index: int) -> str:
    """`atlas-2.0`, then `atlas-2.0~2` for a second parent."""
    return release.slug if index == 1 else f"{release.slug}~{index}"


def _child_rows(
    release: Release, tasks: Sequence[ControlTask]
) -> list[tuple[str, ItemKind, int | None]]:
    """Keys of the control issues."""
    return [(t.key, ItemKind.CONTROL, t.id) for t in tasks]


def _ensure_rows(
    session: Session,
    release: Release,
    tracker_name: str,
    wanted: list[tuple[str, ItemKind, int | None]],
    now: datetime,
) -> list[TrackerItem]:
    """The intent rows for these keys, created (and committed) where missing.

    Read afresh (`populate_existing`): another replica may have written them meanwhile.
    """
    query = select(TrackerItem).where(
        TrackerItem.release_id == release.id, TrackerItem.tracker == tracker_name
    )
    rows_now = session.exec(query.execution_options(populate_existing=True)).all()
    existing = {row.key: row for row in rows_now}
    rows = []
    for key, kind, task_id in wanted:
        row = existing.get(key)
        if row is None:
            assert release.id is not None
            row = TrackerItem(
                release_id=release.id,
                task_id=task_id,
                tracker=tracker_name,
                kind=kind,
                key=key,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        rows.append(row)
    session.commit()
    return rows


def _specs(
    release: Release,
    tasks: Sequence[ControlTask],
    config: RepoConfig,
    parents: Sequence[TrackerItem],
    section: str,
) -> dict[str, ItemSpec]:
    """What each item should look like, by key; parents carry the checklist from the start."""
    milestone = views.milestone_title(release)
    specs = {
        t.key: ItemSpec(
            key=t.key,
            title=views.item_title(t),
            body=views.item_body(t, release),
            labels=views.task_labels(t, config.labels),
            assignees=tuple(config.assignees.get(t.function, ())),
            milestone=milestone,
        )
        for t in tasks
    }
    for index, parent in enumerate(parents, start=1):
        specs[parent.key] = ItemSpec(
            key=parent.key,
            title=views.parent_title(release, index),
            body=views.parent_intro(release) + ("\n\n" + section if index == 1 else ""),
            labels=(views.BOT_LABEL, *config.labels),
            milestone=milestone,
        )
    return specs


def _create_missing(
    session: Session,
    tracker: Tracker,
    rows: list[TrackerItem],
    specs: dict[str, ItemSpec],
    now: datetime,
    report: SyncReport,
    done: int,
    total: int,
    on_progress: Progress | None,
) -> int:
    """Create the rows' items that have no ref yet; retries search by key first."""
    missing = [r for r in rows if r.external_id is None]
    by_key = {r.key: r for r in missing}
    for maybe_exist in (True, False):
        batch = [r for r in missing if (r.attempts > 0) is maybe_exist]
        if not batch:
            continue
        for row in batch:
            row.attempts += 1
            row.updated_at = now
            session.add(row)
        session.commit()  # the intent is durable before the tracker sees the request

        def store(result: EnsureResult) -> None:
            nonlocal done
            row = by_key[result.spec.key]
            row.external_id, row.url = result.ref.external_id, result.ref.url
            row.internal_id, row.last_error = result.ref.internal_id, None
            row.updated_at = now
            session.add(row)
            session.commit()
            report.created += int(result.created)
            report.found += int(not result.created)
            report.keys.append(result.spec.key)
            done += 1
            if on_progress:
                on_progress(done, total)

        wanted = [specs[r.key] for r in batch]
        if isinstance(tracker, ParentMaker) and all(r.kind is ItemKind.PARENT for r in batch):
            for spec in wanted:
                store(tracker.ensure_parent(spec, maybe_exist=maybe_exist))
        else:
            tracker.ensure_items(wanted, maybe_exist=maybe_exist, on_ensured=store)
    return done


def _link_children(
    session: Session,
    tracker: Tracker,
    parents: list[TrackerItem],
    children: list[TrackerItem],
    now: datetime,
    max_children: int,
) -> int:
    """Link each child to its parent (`max_children` each); already-linked ones are skipped."""
    if not isinstance(tracker, ChildLinker):
        return 0
    linked = 0
    for index, child in enumerate(children):
        parent = parents[index // max_children]
        if child.parent_ref == parent.external_id or child.external_id is None:
            continue
        tracker.link_child(_ref(parent, tracker.name), _ref(child, tracker.name))
        child.parent_ref, child.updated_at = parent.external_id, now
        session.add(child)
        session.commit()
        linked += 1
    return linked


def _ref(row: TrackerItem, tracker: str) -> ItemRef:
    """The ItemRef a stored row points at."""
    assert row.external_id is not None
    return ItemRef(tracker, row.external_id, row.url or "", row.internal_id)
