"""`controlbot jira ...`: connect a project, check it, open a release in it, reconcile."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from bot.cli.errors import CliError
from bot.cli.state import CliState, default_actor, now, parse_date
from bot.trackers import TrackerRegistry
from control_catalog import Priority
from integrations import RateLimited, Tracker, TrackerError, WorkState
from integrations.jira import JiraProjectConfig
from integrations.jira.mapping import DEFAULT_NA_RESOLUTIONS
from workflows.errors import ReleaseExists
from workflows.jira_setup import (
    RELEASE_CONFIG,
    find_project,
    project_config,
    reconcile_workspace,
    save_project,
    workspace_name,
)
from workflows.models import ItemKind, Release, TrackerItem, Workspace, WorkspaceKind
from workflows.opening import StartRequest, start_in_workspace
from workflows.planning import release_slug
from workflows.repo_config import RepoConfig
from workflows.sync_errors import record_sync_failure
from workflows.tracking import SyncReport, sync_release

app = typer.Typer(help="Track releases in a Jira project.", no_args_is_help=True)

Project = Annotated[str, typer.Option("--project", help="The Jira project key, e.g. CTRL.")]
Many = Annotated[list[str] | None, typer.Option(help="Repeatable.")]


@contextmanager
def _jira_errors() -> Iterator[None]:
    """Tracker errors become one-line CLI errors."""
    try:
        yield
    except TrackerError as exc:
        raise CliError(f"Jira: {exc}") from None


def _overrides(items: list[str]) -> dict[WorkState, str]:
    """`--status todo=Backlog` pairs as a status override map."""
    found: dict[WorkState, str] = {}
    for item in items:
        state, _, name = item.partition("=")
        if state not in {s.value for s in WorkState} or not name.strip():
            states = ", ".join(s.value for s in WorkState)
            raise CliError(f"--status must look like STATE=NAME with STATE one of {states}")
        found[WorkState(state)] = name.strip()
    return found


@app.command("connect")
def connect(
    ctx: typer.Context,
    project: Project,
    issue_type: Annotated[str, typer.Option(help="Issue type of a control.")] = "Task",
    epic_type: Annotated[str, typer.Option(help="Issue type of the release parent.")] = "Epic",
    label: Many = None,
    component: Many = None,
    status: Annotated[
        list[str] | None, typer.Option(help="STATE=STATUS or STATE=TRANSITION-ID (repeatable).")
    ] = None,
    na_resolution: Annotated[
        list[str] | None, typer.Option(help="A resolution meaning not applicable (repeatable).")
    ] = None,
) -> None:
    """Store a Jira project's settings as a workspace (reads who controlbot is in Jira)."""
    state: CliState = ctx.obj
    registry = TrackerRegistry(state.settings)
    try:
        config = JiraProjectConfig(
            project_key=project,
            issue_type=issue_type,
            epic_type=epic_type,
            labels=tuple(label or ()),
            components=tuple(component or ()),
            status_overrides=_overrides(status or []),
            na_resolutions=tuple(na_resolution or DEFAULT_NA_RESOLUTIONS),
            deployment=registry.jira_deployment(),
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    with _jira_errors():
        ids = registry.jira_tracker(config).whoami()
    name = workspace_name(state.settings.jira_url or "", project)
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        save_project(session=session, name=name, config=config, ids=ids, now=now())
    print(f"connected Jira project {project} ({config.deployment}) as workspace {name}")
    print(f"next: controlbot jira check --project {project}")


@app.command("check")
def check(ctx: typer.Context, project: Project) -> None:
    """Check access, issue types and required create fields; one line per problem."""
    state: CliState = ctx.obj
    registry = TrackerRegistry(state.settings)
    with Session(state.migrated_engine()) as session:
        workspace = find_project(session=session, project_key=project)
    if workspace is not None:
        config = project_config(workspace)
    else:
        config = JiraProjectConfig(project, deployment=registry.jira_deployment())
    with _jira_errors():
        problems = registry.jira_tracker(config).check_project()
    for problem in problems:
        print(f"missing: {problem}")
    if problems:
        raise CliError(f"{len(problems)} problem(s) in Jira project {project}")
    print(f"Jira project {project} is ready for controlbot")


@app.command("open")
def open_(
    ctx: typer.Context,
    project: Project,
    name: Annotated[str, typer.Option("--name", help="Release (model) name.")],
    version: Annotated[str, typer.Option("--version", help="Model version.")],
    target_date: Annotated[
        str | None, typer.Option("--target-date", help="Release date (YYYY-MM-DD).")
    ] = None,
    priority: Annotated[
        Priority | None, typer.Option("--priority", help="Only controls of this priority.")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who opens it (audit).")] = None,
) -> None:
    """Open a release in Jira now: version, epic, one issue per control; re-run to resume."""
    state: CliState = ctx.obj
    request = StartRequest(
        name=name,
        version=version,
        actor=actor or default_actor(),
        target_date=parse_date(target_date, "--target-date"),
        priority=priority,
    )
    registry = TrackerRegistry(state.settings)
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        workspace = _connected(session, project)
        with _jira_errors():
            tracker = registry.for_workspace(workspace)
        release, resumed = _start(session, workspace, tracker, request)
        try:
            report = _sync(session, release, tracker)
        except TrackerError as exc:
            session.rollback()
            record_sync_failure(session=session, release=release, error=exc, now=now())
            raise CliError(
                f"Jira: {exc} (see 'controlbot release status {release.slug}'; "
                "fix it, then run this command again to finish)"
            ) from None
        epic = _epic_key(session, release)
    verb = "resumed" if resumed else "opened"
    made = f"{report.created} issues created, {report.found} found again"
    print(f"{verb} release {release.slug} in Jira project {project}: epic {epic}, {made}")


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    project: Annotated[
        str | None, typer.Option("--project", help="Only this project (default: all).")
    ] = None,
) -> None:
    """Repair what missed webhooks left behind: Jira's states win where they are newer."""
    state: CliState = ctx.obj
    registry = TrackerRegistry(state.settings)
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        workspaces = (
            [_connected(session, project)]
            if project
            else list(session.exec(select(Workspace).where(Workspace.kind == WorkspaceKind.JIRA)))
        )
        for workspace in workspaces:
            with _jira_errors():
                tracker = registry.for_workspace(workspace)
                report = reconcile_workspace(
                    session=session, workspace=workspace, tracker=tracker, now=now()
                )
            print(
                f"{workspace.name}: {report.releases} open releases, {report.checked} issues "
                f"checked, {len(report.changed)} changed, {len(report.missing)} missing in Jira"
            )
            for line in report.changed:
                print(f"  {line}")


def _connected(session: Session, project: str) -> Workspace:
    """The project's workspace, or a hint to connect it first."""
    workspace = find_project(session=session, project_key=project)
    if workspace is None:
        raise CliError(
            f"Jira project {project} is not connected: run 'controlbot jira connect "
            f"--project {project}'"
        )
    return workspace


def _start(
    session: Session, workspace: Workspace, tracker: Tracker, request: StartRequest
) -> tuple[Release, bool]:
    """Plan and store the release, or find it again when it exists (then the sync resumes)."""
    try:
        release = start_in_workspace(
            session=session, workspace=workspace, tracker=tracker, request=request, now=now()
        )
    except ReleaseExists:
        session.rollback()
        slug = release_slug(request.name, request.version)
        found = session.exec(
            select(Release).where(Release.workspace_id == workspace.id, Release.slug == slug)
        ).first()
        if found is None:
            raise CliError(f"release {slug} exists in another workspace") from None
        return found, True
    assert release is not None
    release.config = RELEASE_CONFIG.model_dump(mode="json")
    session.add(release)
    session.commit()
    return release, False


def _sync(session: Session, release: Release, tracker: Tracker) -> SyncReport:
    """Run the (resumable) sync, waiting out rate limits."""
    config = RepoConfig.model_validate(release.config)
    while True:
        try:
            return sync_release(
                session=session, release=release, tracker=tracker, config=config, now=now()
            )
        except RateLimited as exc:
            print(f"Jira rate limit: waiting {exc.retry_after:.0f} s", file=sys.stderr)
            time.sleep(exc.retry_after)


def _epic_key(session: Session, release: Release) -> str:
    """The key of the release's epic."""
    row = session.exec(
        select(TrackerItem)
        .where(TrackerItem.release_id == release.id, TrackerItem.kind == ItemKind.PARENT)
        .order_by(col(TrackerItem.id))
    ).first()
    return (row.external_id if row else None) or "?"
