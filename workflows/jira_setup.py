"""Jira projects as workspaces: their config in `Workspace.config`, sync errors, and reconcile.

A connected project is a `jira` workspace named `<site host>/<KEY>` whose `external_id` is the
project key and whose `config` holds the `JiraProjectConfig` fields plus `self_ids`, the ids
Jira uses for controlbot's own account (read once from `GET myself`), so the webhook path can
tell controlbot's own changes apart without calling Jira.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from integrations import ItemRef, RemoteState, Tracker, WorkState
from integrations.jira import JiraProjectConfig
from integrations.jira.mapping import DEFAULT_NA_RESOLUTIONS
from workflows.errors import WorkflowError
from workflows.inbound import Outcome, apply_remote_state, find_item
from workflows.mirror import ITEM_STATE
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    OutboxState,
    Release,
    ReleaseState,
    TrackerItem,
    Workspace,
    WorkspaceKind,
    WorkspaceState,
)
from workflows.repo_config import Granularity, RepoConfig

TRACKER = "jira"
RECONCILE_ACTOR = "reconcile"
# Jira projects have no config file: every selected control gets its own issue.
RELEASE_CONFIG = RepoConfig(granularity=Granularity.CONTROL)
RELEASE_CONFIG_TEXT = "granularity: control\n"


def workspace_name(site_url: str, project_key: str) -> str:
    """`jira.example.org/CTRL`: the site's host and the project key."""
    host = urlsplit(site_url).netloc or site_url.strip("/")
    return f"{host}/{project_key}"


def config_data(config: JiraProjectConfig, *, self_ids: Sequence[str]) -> dict[str, Any]:
    """The JSON stored in `Workspace.config` for a project."""
    return {
        "project_key": config.project_key,
        "issue_type": config.issue_type,
        "epic_type": config.epic_type,
        "labels": list(config.labels),
        "components": list(config.components),
        "status_overrides": {state.value: v for state, v in config.status_overrides.items()},
        "na_resolutions": list(config.na_resolutions),
        "deployment": config.deployment,
        "self_ids": list(self_ids),
    }


def project_config(workspace: Workspace) -> JiraProjectConfig:
    """The project config stored on a Jira workspace (WorkflowError when it has none)."""
    data = workspace.config or {}
    if workspace.kind is not WorkspaceKind.JIRA or not data.get("project_key"):
        raise WorkflowError(f"workspace {workspace.name} is not a connected Jira project")
    try:
        return JiraProjectConfig(
            project_key=str(data["project_key"]),
            issue_type=str(data.get("issue_type") or "Task"),
            epic_type=str(data.get("epic_type") or "Epic"),
            labels=tuple(data.get("labels") or ()),
            components=tuple(data.get("components") or ()),
            status_overrides={
                WorkState(k): str(v) for k, v in (data.get("status_overrides") or {}).items()
            },
            na_resolutions=tuple(data.get("na_resolutions") or DEFAULT_NA_RESOLUTIONS),
            deployment=data.get("deployment") or "cloud",
        )
    except ValueError as exc:
        raise WorkflowError(f"workspace {workspace.name} has a bad Jira config: {exc}") from None


def self_ids(workspace: Workspace) -> frozenset[str]:
    """The ids of controlbot's own Jira account in this workspace."""
    return frozenset(str(x) for x in (workspace.config or {}).get("self_ids") or ())


def find_project(*, session: Session, project_key: str) -> Workspace | None:
    """The connected workspace of a Jira project key, if any."""
    query = (
        select(Workspace)
        .where(Workspace.kind == WorkspaceKind.JIRA, Workspace.external_id == project_key)
        .order_by(col(Workspace.id))
    )
    return session.exec(query).first()


def save_project(
    *,
    session: Session,
    name: str,
    config: JiraProjectConfig,
    ids: Sequence[str],
    now: datetime,
) -> Workspace:
    """Create or update the project's workspace with this config (active again if removed)."""
    workspace = session.exec(
        select(Workspace).where(Workspace.kind == WorkspaceKind.JIRA, Workspace.name == name)
    ).first()
    if workspace is None:
        workspace = Workspace(kind=WorkspaceKind.JIRA, name=name, created_at=now)
    workspace.external_id = config.project_key
    workspace.config = config_data(config, self_ids=ids)
    workspace.state, workspace.updated_at = WorkspaceState.ACTIVE, now
    session.add(workspace)
    session.commit()
    session.refresh(workspace)
    return workspace


def record_deleted(
    *, session: Session, external_id: str, actor: str | None, at: datetime, now: datetime
) -> Outcome:
    """An issue deleted in Jira: the task stays; the item carries the fact as its error."""
    item = find_item(session=session, tracker=TRACKER, external_id=external_id)
    if item is None:
        return Outcome(False, f"{external_id} is not a controlbot item")
    item.last_error = (
        f"{external_id} was deleted in Jira by {actor or 'someone'} at {at.isoformat()}; "
        "the control task is kept"
    )
    item.updated_at = now
    session.add(item)
    session.commit()
    return Outcome(True, f"{external_id} deleted in Jira: recorded on its item")


@dataclass
class ReconcileReport:
    """What a reconcile did: items compared, changes applied, issues Jira no longer has."""

    releases: int = 0
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def reconcile_workspace(
    *, session: Session, workspace: Workspace, tracker: Tracker, now: datetime
) -> ReconcileReport:
    """Repair what missed webhooks left behind in the workspace's open releases."""
    report = ReconcileReport()
    releases = session.exec(
        select(Release).where(
            Release.workspace_id == workspace.id, Release.state == ReleaseState.OPEN
        )
    ).all()
    for release in releases:
        report.releases += 1
        rows = _control_items(session, release, tracker.name)
        refs = [
            ItemRef(tracker.name, r.external_id or "", r.url or "", r.internal_id) for r in rows
        ]
        remote = {s.ref.external_id: s for s in tracker.fetch_states(refs)}
        for row in rows:
            state = remote.get(row.external_id or "")
            if state is None:
                report.missing.append(row.external_id or row.key)
                continue
            report.checked += 1
            if _differs(session, row, state) and _apply(session, tracker.name, state, now):
                report.changed.append(f"{row.external_id} -> {state.state.value}")
    return report


def _control_items(session: Session, release: Release, tracker_name: str) -> list[TrackerItem]:
    """The release's control items that exist in the tracker."""
    query = (
        select(TrackerItem)
        .where(
            TrackerItem.release_id == release.id,
            TrackerItem.tracker == tracker_name,
            TrackerItem.kind == ItemKind.CONTROL,
            col(TrackerItem.external_id).is_not(None),
        )
        .order_by(col(TrackerItem.id))
    )
    return list(session.exec(query).all())


def _differs(session: Session, row: TrackerItem, state: RemoteState) -> bool:
    """Whether Jira shows a newer, different state that no pending write of ours will replace."""
    task = session.get(ControlTask, row.task_id)
    if task is None or task.status.value == state.state.value:
        return False
    if state.updated_at <= task.updated_at:
        return False  # our change is newer: the outbox makes Jira follow it
    pending = session.exec(
        select(OutboxItem).where(
            OutboxItem.coalesce_key == f"{ITEM_STATE}:{row.id}",
            OutboxItem.state == OutboxState.PENDING,
        )
    ).first()
    return pending is None


def _apply(session: Session, tracker_name: str, state: RemoteState, now: datetime) -> bool:
    """Apply one remote state like a webhook would; True when the task moved."""
    outcome = apply_remote_state(
        session=session,
        tracker=tracker_name,
        external_id=state.ref.external_id,
        state=state.state,
        actor=RECONCILE_ACTOR,
        at=state.updated_at,
        now=now,
        note=state.note,
    )
    session.commit()
    return outcome.applied
