"""Start a release in a tracker workspace: read its config, plan, store, then open the items.

Every door (CLI, API, `/controls start`, a published GitHub release) ends here. The config is
read from the repository by the worker, never on a webhook's request path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from control_catalog import CatalogError, Priority, resolve_catalog
from integrations import ItemRef, Tracker
from integrations.capabilities import GateHost, RepositoryAccess
from workflows.errors import ReleaseExists
from workflows.mirror import OPEN_RELEASE
from workflows.models import OutboxItem, Release, Workspace
from workflows.outbox import enqueue
from workflows.planning import release_slug
from workflows.releases import create_release
from workflows.repo_config import CONFIG_PATH, parse_repo_config

START_RELEASE = "start_release"


@dataclass(frozen=True)
class StartRequest:
    """What someone asked for: a release name and version, and where to answer."""

    name: str
    version: str
    actor: str
    target_date: date | None = None
    priority: Priority | None = None
    gate_ref: str | None = None
    reply_to: str | None = None  # an issue to comment on, `owner/repo#12`
    only_if_configured: bool = False  # a GitHub release opens one only when config says so
    prerelease: bool = False

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the outbox."""
        return {
            "name": self.name,
            "version": self.version,
            "actor": self.actor,
            "target_date": self.target_date.isoformat() if self.target_date else None,
            "priority": self.priority.value if self.priority else None,
            "gate_ref": self.gate_ref,
            "reply_to": self.reply_to,
            "only_if_configured": self.only_if_configured,
            "prerelease": self.prerelease,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> StartRequest:
        """Back from outbox data."""
        target = data.get("target_date")
        priority = data.get("priority")
        return cls(
            name=data["name"],
            version=data["version"],
            actor=data["actor"],
            target_date=date.fromisoformat(target) if target else None,
            priority=Priority(priority) if priority else None,
            gate_ref=data.get("gate_ref"),
            reply_to=data.get("reply_to"),
            only_if_configured=bool(data.get("only_if_configured")),
            prerelease=bool(data.get("prerelease")),
        )


def request_start(
    *, session: Session, workspace: Workspace, request: StartRequest, now: datetime
) -> str:
    """Queue the start of a release (in the caller's transaction); returns the release slug."""
    slug = release_slug(request.name, request.version)
    assert workspace.id is not None
    enqueue(
        session=session,
        workspace_id=workspace.id,
        kind=START_RELEASE,
        key=f"start:{workspace.id}:{slug}",
        now=now,
        payload=request.to_payload(),
    )
    return slug


def start_in_workspace(
    *,
    session: Session,
    workspace: Workspace,
    tracker: Tracker,
    request: StartRequest,
    now: datetime,
) -> Release | None:
    """Read the config, plan and store the release; None when config says not to open it."""
    text = tracker.read_config(CONFIG_PATH) if isinstance(tracker, RepositoryAccess) else None
    config, problems = parse_repo_config(text)
    if request.only_if_configured and not (
        config.open_on_release and (config.include_prereleases or not request.prerelease)
    ):
        return None
    try:
        catalog = resolve_catalog(config.catalog)
    except CatalogError as exc:
        problems.append(f"{CONFIG_PATH}: catalog: {exc}; using the bundled catalog")
        catalog = resolve_catalog(None)
    selection = config.selection.to_selection()
    if request.priority is not None:
        selection = replace(selection, priority=request.priority)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=catalog,
        name=request.name,
        version=request.version,
        actor=request.actor,
        now=now,
        target_date=request.target_date,
        selection=selection,
        due_offsets=config.due_offsets,
    )
    release.config = config.model_dump(mode="json")
    release.problems = problems
    if request.gate_ref and isinstance(tracker, GateHost):
        release.gate_sha = tracker.resolve_ref(request.gate_ref)
    session.add(release)
    session.commit()
    return release


def start_release_job(
    *, session: Session, job: OutboxItem, tracker: Tracker, now: datetime
) -> None:
    """Outbox job: start the release, queue its items, and answer where it was asked."""
    workspace = session.get(Workspace, job.workspace_id)
    assert workspace is not None and workspace.id is not None
    request = StartRequest.from_payload(dict(job.payload))
    try:
        release = start_in_workspace(
            session=session, workspace=workspace, tracker=tracker, request=request, now=now
        )
    except ReleaseExists as exc:
        session.rollback()
        _reply(tracker, request, f"{exc}: nothing to do.")
        return
    if release is None:
        return
    enqueue(
        session=session,
        workspace_id=workspace.id,
        kind=OPEN_RELEASE,
        key=f"open:{release.id}",
        now=now,
        payload={"release_id": release.id},
    )
    session.commit()
    problems = "".join(f"\n- ⚠️ {p}" for p in release.problems)
    _reply(tracker, request, f"Opening **{release.slug}** from `{release.catalog_ref}`.{problems}")


def _reply(tracker: Tracker, request: StartRequest, body: str) -> None:
    """Comment on the issue the request came from, if any."""
    if request.reply_to:
        tracker.comment(ItemRef(tracker.name, request.reply_to, ""), body)
