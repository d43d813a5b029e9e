"""The REST API's request and response bodies (they make the OpenAPI document at /openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from control_catalog import Function, Kind, Priority
from workflows.models import ReleaseState
from workflows.planning import EARLIEST_DATE, LATEST_DATE
from workflows.status import ControlStatus

TargetDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL in text)
NO_NUL = r"^[^\x00]*$"


class ReleaseCreate(BaseModel):
    """A release to open: in a GitHub repository (`repo`) or locally."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    version: str = Field(min_length=1, max_length=50, pattern=ONE_LINE)
    repo: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    target_date: TargetDate | None = None
    priority: Priority | None = None
    ref: str | None = Field(default=None, max_length=255, pattern=ONE_LINE)


class ReleaseOpened(BaseModel):
    """What opening a release did: created at once (local) or queued for the tracker."""

    release: str
    status: Literal["created", "queued"]
    id: int | None = None
    tasks: int | None = None
    repo: str | None = None


class ReleaseChange(BaseModel):
    """What can be changed on a release: its target date."""

    model_config = ConfigDict(extra="forbid")

    target_date: TargetDate


class ReleaseMoved(BaseModel):
    """The answer to a target-date change."""

    release: str
    target_date: date
    moved: int


class ReleaseSummary(BaseModel):
    """One release with its completion, as lists show it."""

    id: int
    slug: str
    name: str
    version: str
    workspace: str
    state: ReleaseState
    target_date: date | None
    total: int
    closed: int
    percent: float
    high_total: int
    high_closed: int
    overdue: int


class TaskOut(BaseModel):
    """One control task."""

    control_id: str
    title: str
    function: Function
    category: str
    priority: Priority
    kind: Kind
    status: ControlStatus
    owner: str | None
    due_date: date | None
    overdue: bool
    justification: str | None
    evidence: list[str]
    tracker_url: str | None
    updated_at: datetime


class ReleaseDetail(ReleaseSummary):
    """A release with its catalog, problems, tracker errors and tasks."""

    catalog: str
    problems: list[str]
    errors: list[str]
    tasks: list[TaskOut]


class ChangeOut(BaseModel):
    """One audit row of a task."""

    at: datetime
    from_status: ControlStatus
    to_status: ControlStatus
    actor: str
    source: str
    note: str | None


class TaskDetail(TaskOut):
    """A task with its audit trail, oldest first."""

    release: str
    history: list[ChangeOut]


class StatusChangeIn(BaseModel):
    """A new status; `not_applicable` needs a justification."""

    model_config = ConfigDict(extra="forbid")

    status: ControlStatus
    justification: str | None = Field(default=None, min_length=1, max_length=5000, pattern=NO_NUL)


class EvidenceIn(BaseModel):
    """A link to evidence for a control (a document, a run, a review)."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl


class TaskChanged(BaseModel):
    """Whether a status or evidence request changed anything, and the task as it now is."""

    changed: bool
    task: TaskOut
