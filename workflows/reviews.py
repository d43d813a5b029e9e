"""Recurring reviews: open each period's review of a recurring control, once, in the tracker.

Design: each review period is its own small release in the workspace (`Review GV-1.5`,
version = the period), holding one control task whose due date is the period's due date, plus a
`Review` row unique per (workspace, control, period) that links to the previous review. Using a
release per period (rather than one "reviews" release) keeps `ControlTask`'s one-task-per-control
rule and lets the normal machinery apply unchanged: the reminder sweep finds the open task with a
due date and posts its digest on the release's parent item, which *is* the review issue; closing
that issue (or ticking its box) marks the task done through the usual inbound path, because the
review item is a PARENT tracker item that also carries the task id.

The review item is opened through the outbox (`open_review` job) with the same write-intent rule
as `workflows.tracking`: the row's `attempts` is committed before the create, so a retry searches
for the key first. Its body names the control and links to the previous review (`#12` / Jira key).

Which controls: the catalog's `kind: recurring` controls plus `reviews.controls` from the
workspace's newest open release's config; `reviews.cadences` overrides a control's cadence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from control_catalog import Catalog, CatalogError, Control, Kind, load_bundled, parse_cadence
from integrations import EnsureResult, ItemSpec, Tracker
from workflows import views
from workflows.errors import WorkflowError
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    Release,
    ReleaseState,
    Review,
    StatusChange,
    TrackerItem,
    Workspace,
    WorkspaceKind,
    WorkspaceState,
)
from workflows.outbox import enqueue
from workflows.planning import release_slug, task_key
from workflows.repo_config import CONFIG_PATH, Granularity, RepoConfig
from workflows.review_schedule import LastReview, ReviewPeriod, Schedule, review_schedule
from workflows.status import CLOSED

log = logging.getLogger(__name__)

OPEN_REVIEW = "open_review"
TRACKED_KINDS = (WorkspaceKind.GITHUB, WorkspaceKind.JIRA)
REVIEW_LABEL = "controls:review"


@dataclass(frozen=True)
class ReviewLine:
    """One control's review state in a workspace: the open review and the next period."""

    workspace: str
    control_id: str
    cadence: str
    open_period: str | None
    open_due: date | None
    open_status: str | None
    opens_now: ReviewPeriod | None
    next: ReviewPeriod | None
    waiting: str | None


@dataclass
class ReviewRun:
    """What one run did: the reviews opened (workspace, control, period) and the problems met."""

    opened: list[tuple[str, str, str]]
    problems: list[str]


@dataclass(frozen=True)
class _Plan:
    workspace: Workspace
    source: Release
    config: RepoConfig
    catalog: Catalog
    tz: ZoneInfo


def open_reviews(*, session: Session, now: datetime) -> ReviewRun:
    """Open the review of every recurring control whose period has begun and has none yet."""
    run = ReviewRun([], [])
    for plan in _plans(session, run.problems):
        for control, schedule, last in _schedules(session, plan, now, run.problems):
            period = schedule.current
            if period is None or (last is not None and last.period == period.key):
                continue
            if _open_one(session, plan, control, period, last, now):
                run.opened.append((plan.workspace.name, control.id, period.key))
    return run


def review_lines(*, session: Session, now: datetime) -> list[ReviewLine]:
    """Each reviewed control per workspace: its latest review and what opens next."""
    problems: list[str] = []
    lines = []
    for plan in _plans(session, problems):
        for control, schedule, last in _schedules(session, plan, now, problems):
            task = session.get(ControlTask, last.task_id) if last is not None else None
            opens_now = schedule.current
            if last is not None and opens_now is not None and last.period == opens_now.key:
                opens_now = None
            lines.append(
                ReviewLine(
                    workspace=plan.workspace.name,
                    control_id=control.id,
                    cadence=_cadence_text(plan.config, control) or "",
                    open_period=last.period if last is not None else None,
                    open_due=last.due_date if last is not None else None,
                    open_status=task.status.value if task is not None else None,
                    opens_now=opens_now,
                    next=schedule.next,
                    waiting=schedule.waiting,
                )
            )
    return lines


def _plans(session: Session, problems: list[str]) -> list[_Plan]:
    """Each active tracked workspace with an open release, with that release's config."""
    review_releases = select(Review.release_id)
    query = (
        select(Release, Workspace)
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .where(
            Release.state == ReleaseState.OPEN,
            Workspace.state == WorkspaceState.ACTIVE,
            col(Workspace.kind).in_(TRACKED_KINDS),
            col(Release.id).not_in(review_releases),
        )
        .order_by(col(Workspace.id), col(Release.created_at).desc(), col(Release.id).desc())
    )
    plans: dict[int, _Plan] = {}
    for release, workspace in session.exec(query).all():
        assert workspace.id is not None
        if workspace.id in plans:
            continue
        config = RepoConfig.model_validate(release.config)
        try:
            catalog = load_bundled(config.catalog)
        except (CatalogError, OSError, ValueError) as exc:
            problems.append(f"{workspace.name}: catalog {config.catalog}: {exc}")
            continue
        zone = config.reviews.timezone or config.reminders.timezone
        plans[workspace.id] = _Plan(workspace, release, config, catalog, ZoneInfo(zone))
    return list(plans.values())


def _reviewed_controls(plan: _Plan, problems: list[str]) -> list[Control]:
    """The catalog's recurring controls plus the config's extra ids (unknown ids reported)."""
    controls = [c for c in plan.catalog.controls if c.kind is Kind.RECURRING]
    for control_id in plan.config.reviews.controls:
        control = plan.catalog.get(control_id)
        if control is None:
            problems.append(
                f"{plan.workspace.name}: {CONFIG_PATH}: reviews.controls: unknown control "
                f"{control_id!r} in {plan.catalog.ref}"
            )
        elif control not in controls:
            controls.append(control)
    return controls


def _cadence_text(config: RepoConfig, control: Control) -> str | None:
    return config.reviews.cadences.get(control.id) or control.cadence


def _schedules(
    session: Session, plan: _Plan, now: datetime, problems: list[str]
) -> list[tuple[Control, Schedule, Review | None]]:
    """Each reviewed control's schedule; a control whose cadence is unusable is reported only."""
    if not plan.config.reviews.enabled:
        return []
    found = []
    for control in _reviewed_controls(plan, problems):
        text = _cadence_text(plan.config, control)
        where = f"{plan.workspace.name}: {CONFIG_PATH}: reviews.cadences.{control.id}"
        if text is None:
            problems.append(f"{where}: {control.id} has no cadence; set one to review it")
            continue
        try:
            cadence = parse_cadence(text)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        last = _last_review(session, plan.workspace, control.id)
        schedule = review_schedule(
            cadence=cadence,
            anchor=plan.config.reviews.anchor,
            late=plan.config.reviews.late,
            tz=plan.tz,
            last=_as_last(session, last),
            now=now,
        )
        found.append((control, schedule, last))
    return found


def _last_review(session: Session, workspace: Workspace, control_id: str) -> Review | None:
    query = (
        select(Review)
        .where(Review.workspace_id == workspace.id, Review.control_id == control_id)
        .order_by(col(Review.opens_at).desc(), col(Review.id).desc())
    )
    return session.exec(query).first()


def _as_last(session: Session, review: Review | None) -> LastReview | None:
    """The review with its completion time (the latest move to done or not applicable)."""
    if review is None:
        return None
    task = session.get(ControlTask, review.task_id)
    completed = None
    if task is not None and task.status in CLOSED:
        change = session.exec(
            select(StatusChange)
            .where(StatusChange.task_id == task.id, col(StatusChange.to_status).in_(CLOSED))
            .order_by(col(StatusChange.at).desc())
        ).first()
        completed = change.at if change is not None else task.updated_at
    return LastReview(review.opens_at, review.due_date, completed)


def _open_one(
    session: Session,
    plan: _Plan,
    control: Control,
    period: ReviewPeriod,
    last: Review | None,
    now: datetime,
) -> bool:
    """Store the review's release, task and row and queue its tracker item, in one transaction."""
    workspace = plan.workspace
    assert workspace.id is not None
    name = f"Review {control.id}"
    slug = release_slug(name, period.key)
    config = plan.config.model_copy(update={"granularity": Granularity.CHECKLIST})
    previous_owner = None
    if last is not None:
        previous_task = session.get(ControlTask, last.task_id)
        previous_owner = previous_task.owner if previous_task is not None else None
    try:
        release = Release(
            workspace_id=workspace.id,
            slug=slug,
            name=name,
            version=period.key,
            target_date=period.due,
            catalog_ref=plan.catalog.ref,
            selection={"include": [control.id]},
            created_by=plan.source.created_by,
            config=config.model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
        session.add(release)
        session.flush()
        assert release.id is not None
        task = ControlTask(
            release_id=release.id,
            key=task_key(slug, control.id),
            control_id=control.id,
            position=0,
            title=control.title,
            guidance=control.guidance,
            function=control.function,
            category=control.category,
            priority=control.priority,
            kind=control.kind,
            owner=previous_owner,
            due_date=period.due,
            created_at=now,
            updated_at=now,
        )
        session.add(task)
        session.flush()
        assert task.id is not None
        review = Review(
            workspace_id=workspace.id,
            control_id=control.id,
            period=period.key,
            opens_at=period.opens_at,
            due_date=period.due,
            release_id=release.id,
            task_id=task.id,
            previous_id=last.id if last is not None else None,
            created_at=now,
        )
        session.add(review)
        session.flush()
        enqueue(
            session=session,
            workspace_id=workspace.id,
            kind=OPEN_REVIEW,
            key=f"{OPEN_REVIEW}:{review.id}",
            now=now,
            payload={"review_id": review.id},
        )
        session.commit()
    except IntegrityError:  # another run opened this period first
        session.rollback()
        return False
    log.info("reviews: opened %s %s in %s", control.id, period.key, workspace.name)
    return True


# -- the outbox job --------------------------------------------------------------------------


def open_review_job(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Create the review's tracker item (resumable: a retry finds it by key first)."""
    review = session.get(Review, job.payload["review_id"])
    if review is None:
        raise WorkflowError(f"review {job.payload['review_id']} no longer exists")
    release = session.get(Release, review.release_id)
    task = session.get(ControlTask, review.task_id)
    assert release is not None and task is not None and release.id is not None
    row = session.exec(
        select(TrackerItem).where(
            TrackerItem.release_id == release.id,
            TrackerItem.tracker == tracker.name,
            TrackerItem.kind == ItemKind.PARENT,
        )
    ).first()
    if row is None:
        row = TrackerItem(
            release_id=release.id,
            task_id=task.id,
            tracker=tracker.name,
            kind=ItemKind.PARENT,
            key=release.slug,
            created_at=now,
            updated_at=now,
        )
    if row.external_id is not None:
        return
    spec = review_spec(
        review=review,
        release=release,
        task=task,
        previous=previous_ref(session=session, review=review, tracker=tracker.name),
        config=RepoConfig.model_validate(release.config),
    )
    row.attempts += 1
    row.updated_at = now
    session.add(row)
    session.commit()  # the intent is durable before the tracker sees the request

    def store(result: EnsureResult) -> None:
        row.external_id, row.url = result.ref.external_id, result.ref.url
        row.internal_id, row.last_error, row.updated_at = result.ref.internal_id, None, now
        session.add(row)
        session.commit()

    tracker.ensure_items([spec], maybe_exist=row.attempts > 1, on_ensured=store)


def previous_ref(*, session: Session, review: Review, tracker: str) -> str | None:
    """`#12` (GitHub) or `OPS-12` (Jira) for the previous review's item; its period if none."""
    if review.previous_id is None:
        return None
    previous = session.get(Review, review.previous_id)
    assert previous is not None
    item = session.exec(
        select(TrackerItem).where(
            TrackerItem.release_id == previous.release_id,
            TrackerItem.tracker == tracker,
            TrackerItem.kind == ItemKind.PARENT,
        )
    ).first()
    if item is None or item.external_id is None:
        return f"the {previous.period} review (not in the tracker)"
    return short_ref(item.external_id)


def short_ref(external_id: str) -> str:
    """`owner/repo#12` -> `#12`; a Jira key stays as it is."""
    return "#" + external_id.rsplit("#", 1)[1] if "#" in external_id else external_id


def review_spec(
    *,
    review: Review,
    release: Release,
    task: ControlTask,
    previous: str | None,
    config: RepoConfig,
) -> ItemSpec:
    """The review issue: the control, the period and due date, the previous review, how to close."""
    lines = [
        f"Periodic review of control **{task.control_id}** ({task.title}) from "
        f"`{release.catalog_ref}`, {task.function.value} function, category {task.category}.",
        f"Period: **{review.period}**, due **{review.due_date.isoformat()}**.",
        f"Previous review: {previous}" if previous else "Previous review: none (first review)",
        task.guidance,
        views.HELP_FOOTER,
    ]
    return ItemSpec(
        key=release.slug,
        title=f"Review {task.control_id}: {task.title} ({review.period})",
        body="\n\n".join(lines),
        labels=(*views.task_labels(task, config.labels), REVIEW_LABEL),
    )
