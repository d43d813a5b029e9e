"""Database tables: workspaces, releases, control tasks and the status-change audit trail."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from control_catalog import Function, Kind, Priority
from workflows.status import ChangeSource, ControlStatus


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored and returned in UTC; naive datetimes are refused, not guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime in UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[StrEnum]) -> sa.Enum:
    """Store a StrEnum as its value in a plain string column (no native DB enum to migrate)."""
    return sa.Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class WorkspaceKind(StrEnum):
    """Where a workspace's trackers live."""

    LOCAL = "local"
    GITHUB = "github"
    JIRA = "jira"


class WorkspaceState(StrEnum):
    """Whether controlbot may act in a workspace (an installation can be suspended or removed)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class ReleaseState(StrEnum):
    """Whether a release is still being worked on."""

    OPEN = "open"
    CLOSED = "closed"


class Workspace(SQLModel, table=True):
    """Where trackers live: a GitHub installation and repo, a Jira site and project, or local."""

    __table_args__ = (sa.UniqueConstraint("kind", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: WorkspaceKind = Field(sa_type=_enum(WorkspaceKind))
    name: str = Field(max_length=255)
    external_id: str | None = Field(default=None, max_length=255, index=True)
    state: WorkspaceState = Field(default=WorkspaceState.ACTIVE, sa_type=_enum(WorkspaceState))
    config: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Release(SQLModel, table=True):
    """One model release being tracked, planned from one catalog with one selection."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    slug: str = Field(max_length=255)
    name: str = Field(max_length=255)
    version: str = Field(max_length=100)
    target_date: date | None = None
    catalog_ref: str = Field(max_length=255)
    selection: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: ReleaseState = Field(default=ReleaseState.OPEN, sa_type=_enum(ReleaseState))
    created_by: str = Field(max_length=255)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    problems: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    gate_sha: str | None = Field(default=None, max_length=64)
    pr_shas: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ControlTask(SQLModel, table=True):
    """One control for one release: the truth that tracker items mirror."""

    __table_args__ = (
        sa.UniqueConstraint("release_id", "control_id"),
        sa.Index("ix_controltask_status_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    key: str = Field(max_length=300, unique=True)
    control_id: str = Field(max_length=20)
    position: int
    title: str = Field(max_length=255)
    guidance: str = Field(default="", sa_type=sa.Text)
    function: Function = Field(sa_type=_enum(Function))
    category: str = Field(max_length=20)
    priority: Priority = Field(sa_type=_enum(Priority))
    kind: Kind = Field(sa_type=_enum(Kind))
    status: ControlStatus = Field(default=ControlStatus.TODO, sa_type=_enum(ControlStatus))
    owner: str | None = Field(default=None, max_length=255)
    due_date: date | None = None
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    justification: str | None = Field(default=None, sa_type=sa.Text)
    evidence: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class StatusChange(SQLModel, table=True):
    """An immutable audit row: who moved which task from what to what, through which door, when."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="controltask.id", index=True)
    from_status: ControlStatus = Field(sa_type=_enum(ControlStatus))
    to_status: ControlStatus = Field(sa_type=_enum(ControlStatus))
    actor: str = Field(max_length=255)
    source: ChangeSource = Field(sa_type=_enum(ChangeSource))
    note: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = Field(sa_type=UTCDateTime, index=True)


@event.listens_for(StatusChange, "before_update")
def _audit_rows_are_immutable(mapper: Mapper[Any], connection: Any, target: StatusChange) -> None:
    """The audit trail is append-only: refuse any update through the ORM."""
    raise ValueError("status changes are an append-only audit trail")


class ItemKind(StrEnum):
    """What a tracker item stands for."""

    PARENT = "parent"
    CONTROL = "control"


class TrackerItem(SQLModel, table=True):
    """A tracker item that mirrors a release (parent) or a task: the write intent, then its ref.

    The row is committed with `attempts` raised *before* each create call, so after a crash or
    an ambiguous failure the next run knows to search for the key before creating again.
    """

    __table_args__ = (
        sa.UniqueConstraint("tracker", "key"),
        sa.Index("ix_trackeritem_kind_release", "kind", "release_id"),  # parents per release
        sa.Index("ix_trackeritem_tracker_external", "tracker", "external_id"),  # webhooks
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="controltask.id", index=True)
    tracker: str = Field(max_length=20)
    kind: ItemKind = Field(sa_type=_enum(ItemKind))
    key: str = Field(max_length=300)
    external_id: str | None = Field(default=None, max_length=300)
    internal_id: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=500)
    parent_ref: str | None = Field(default=None, max_length=300)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    remote_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DeliveryOutcome(StrEnum):
    """What became of a received webhook."""

    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    """One received webhook, stored once by its delivery id (redeliveries are duplicates)."""

    __table_args__ = (sa.UniqueConstraint("source", "delivery_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    delivery_id: str = Field(max_length=200)
    event: str = Field(max_length=100)
    action: str | None = Field(default=None, max_length=100)
    outcome: DeliveryOutcome = Field(
        default=DeliveryOutcome.RECEIVED, sa_type=_enum(DeliveryOutcome)
    )
    detail: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ReminderKind(StrEnum):
    """What a reminder says about a task."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


class Reminder(SQLModel, table=True):
    """A reminder claimed for one task, kind and period: inserted once, before it is sent."""

    __table_args__ = (sa.UniqueConstraint("task_id", "kind", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="controltask.id")
    release_id: int = Field(foreign_key="release.id", index=True)
    kind: ReminderKind = Field(sa_type=_enum(ReminderKind))
    period: str = Field(max_length=40)
    sent_at: datetime = Field(sa_type=UTCDateTime)


class OutboxState(StrEnum):
    """Where an outbound tracker write stands."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class OutboxItem(SQLModel, table=True):
    """A tracker write to do off the request path; `key` dedupes, retries back off."""

    __table_args__ = (sa.Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    coalesce_key: str | None = Field(default=None, max_length=300, index=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    kind: str = Field(max_length=50)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=_enum(OutboxState))
    attempts: int = 0
    version: int = 1
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Review(SQLModel, table=True):
    """One period's review of a recurring control in a workspace: its own release and task.

    Unique per workspace, control and period, so opening a period twice opens one review.
    """

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "control_id", "period"),
        sa.Index("ix_review_latest", "workspace_id", "control_id", "opens_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    control_id: str = Field(max_length=20)
    period: str = Field(max_length=40)
    opens_at: datetime = Field(sa_type=UTCDateTime)
    due_date: date
    release_id: int = Field(foreign_key="release.id", unique=True)
    task_id: int = Field(foreign_key="controltask.id", unique=True)
    previous_id: int | None = Field(default=None, foreign_key="review.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
