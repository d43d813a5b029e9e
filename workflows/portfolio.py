"""The portfolio: every visible release with its progress, gate and tracker link, in one query.

The counts are aggregated in the database (one grouped subquery over the tasks), so the page
costs the same handful of queries for ten releases or a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from control_catalog import Priority
from workflows.access import Principal
from workflows.history import visible_release_ids
from workflows.models import ControlTask, ItemKind, Release, ReleaseState, TrackerItem, Workspace
from workflows.repo_config import GateConfig, GateRequirement
from workflows.status import CLOSED, ControlStatus


@dataclass(frozen=True)
class GateState:
    """The release gate as it stands: which controls it needs and how many are still open."""

    required: GateRequirement
    open_all: int
    open_high: int
    problems: int
    published_on: str | None  # the commit the check run is published on, if any

    @property
    def open(self) -> int:
        """Required controls not yet closed (done, or not applicable with a justification)."""
        return self.open_all if self.required is GateRequirement.ALL else self.open_high

    @property
    def passes(self) -> bool:
        """Ready: every required control closed and no config problems."""
        return self.open == 0 and self.problems == 0

    @property
    def label(self) -> str:
        """`ready` or `not ready`, in words (never only a colour)."""
        return "ready" if self.passes else "not ready"

    @property
    def detail(self) -> str:
        """What the gate needs and where it is published, in a few words."""
        parts = [] if self.passes else [f"{self.open} required open"]
        if self.problems:
            parts.append(f"{self.problems} config problem{'' if self.problems == 1 else 's'}")
        parts.append(f"{self.required.value} controls")
        if self.published_on:
            parts.append(f"check on {self.published_on[:7]}")
        return " · ".join(parts)


@dataclass(frozen=True)
class PortfolioRow:
    """One release on the portfolio page."""

    release_id: int
    slug: str
    name: str
    version: str
    workspace: str
    state: ReleaseState
    target_date: date | None
    total: int
    closed: int
    high_total: int
    high_closed: int
    overdue: int
    gate: GateState
    tracker_url: str | None

    @property
    def percent(self) -> float:
        """Share of tasks closed, 0-100."""
        return 100.0 * self.closed / self.total if self.total else 0.0

    @property
    def high_percent(self) -> float:
        """Share of high-priority tasks closed, 0-100."""
        return 100.0 * self.high_closed / self.high_total if self.high_total else 0.0

    @property
    def completion(self) -> str:
        """`closed/total · percent`, as the page prints it."""
        return f"{self.closed}/{self.total} · {self.percent:.0f}%"

    @property
    def high_completion(self) -> str:
        """`closed/total · percent` of the high-priority controls."""
        return f"{self.high_closed}/{self.high_total} · {self.high_percent:.0f}%"


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """COUNT(*) FILTER (WHERE condition): PostgreSQL and SQLite 3.30+ both have it."""
    return sa.func.count().filter(condition)


def _task_stats(today: date, visible: Any) -> sa.Subquery:
    """Per release: totals, closed, high-priority, overdue and gate-open counts."""
    status = col(ControlTask.status)
    closed = status.in_(sorted(CLOSED))
    gate_closed = sa.or_(
        status == ControlStatus.DONE,
        sa.and_(
            status == ControlStatus.NOT_APPLICABLE,
            sa.func.trim(sa.func.coalesce(col(ControlTask.justification), "")) != "",
        ),
    )
    high = col(ControlTask.priority) == Priority.HIGH
    return (
        sa.select(
            col(ControlTask.release_id).label("release_id"),
            sa.func.count().label("total"),
            _count(closed).label("closed"),
            _count(high).label("high_total"),
            _count(sa.and_(high, closed)).label("high_closed"),
            _count(sa.and_(~closed, col(ControlTask.due_date) < today)).label("overdue"),
            _count(~gate_closed).label("open_all"),
            _count(sa.and_(high, ~gate_closed)).label("open_high"),
        )
        .where(col(ControlTask.release_id).in_(visible))
        .group_by(col(ControlTask.release_id))
        .subquery("stats")
    )


def _parent_urls(visible: Any) -> sa.Subquery:
    """Per release: the first parent tracker item's URL."""
    return (
        sa.select(
            col(TrackerItem.release_id).label("release_id"),
            sa.func.min(col(TrackerItem.url)).label("url"),
        )
        .where(
            col(TrackerItem.release_id).in_(visible),
            col(TrackerItem.kind) == ItemKind.PARENT,
            col(TrackerItem.url).is_not(None),
        )
        .group_by(col(TrackerItem.release_id))
        .subquery("parents")
    )


def _json(column: Any) -> Any:
    """A JSON column as SQLAlchemy's JSON type, so `[key]` and `.as_string()` apply."""
    return sa.type_coerce(col(column), sa.JSON)


def portfolio_query(*, principal: Principal, today: date) -> sa.Select[Any]:
    """The one statement behind the portfolio: visible releases with their aggregates."""
    visible = visible_release_ids(principal)
    stats, parents = _task_stats(today, visible), _parent_urls(visible)
    return (
        sa.select(
            col(Release.id),
            col(Release.slug),
            col(Release.name),
            col(Release.version),
            col(Release.state),
            col(Release.target_date),
            _json(Release.config)["gate"]["required"].as_string().label("gate_required"),
            sa.func.coalesce(sa.func.json_array_length(col(Release.problems)), 0).label("problems"),
            sa.func.coalesce(col(Release.gate_sha), _json(Release.pr_shas)[0].as_string()).label(
                "gate_sha"
            ),
            col(Workspace.name).label("workspace"),
            *(sa.func.coalesce(stats.c[c], 0).label(c) for c in _STAT_COLUMNS),
            parents.c.url.label("tracker_url"),
        )
        .join(Workspace, col(Workspace.id) == col(Release.workspace_id))
        .outerjoin(stats, stats.c.release_id == col(Release.id))
        .outerjoin(parents, parents.c.release_id == col(Release.id))
        .where(col(Release.id).in_(visible))
        .order_by(
            sa.case((col(Release.state) == ReleaseState.OPEN, 0), else_=1),
            col(Release.target_date).is_(None),
            col(Release.target_date),
            col(Release.id),
        )
    )


_DEFAULT_GATE = GateConfig().required
_STAT_COLUMNS = ("total", "closed", "high_total", "high_closed", "overdue", "open_all", "open_high")


def portfolio_rows(*, session: Session, principal: Principal, today: date) -> list[PortfolioRow]:
    """Every release the principal may see, open ones first by target date."""
    result = session.connection().execute(portfolio_query(principal=principal, today=today))
    return [_row(r) for r in result]


def newest_rows(
    *,
    session: Session,
    principal: Principal,
    today: date,
    state: ReleaseState | None,
    limit: int,
    offset: int,
) -> list[PortfolioRow]:
    """A page of the principal's releases, newest first (the API's list), in one statement."""
    query = portfolio_query(principal=principal, today=today)
    if state is not None:
        query = query.where(col(Release.state) == state)
    query = query.order_by(None).order_by(col(Release.created_at).desc(), col(Release.id).desc())
    result = session.connection().execute(query.offset(offset).limit(limit))
    return [_row(r) for r in result]


def _gate(row: Any) -> GateState:
    """The gate of one result row, under the release's configured requirement."""
    required = GateRequirement(row.gate_required) if row.gate_required else _DEFAULT_GATE
    return GateState(
        required=required,
        open_all=int(row.open_all),
        open_high=int(row.open_high),
        problems=int(row.problems),
        published_on=row.gate_sha,
    )


def _row(row: Any) -> PortfolioRow:
    """A result row as a PortfolioRow."""
    return PortfolioRow(
        release_id=row.id,
        slug=row.slug,
        name=row.name,
        version=row.version,
        workspace=row.workspace,
        state=ReleaseState(row.state),
        target_date=row.target_date,
        total=int(row.total),
        closed=int(row.closed),
        high_total=int(row.high_total),
        high_closed=int(row.high_closed),
        overdue=int(row.overdue),
        gate=_gate(row),
        tracker_url=row.tracker_url,
    )
