"""`controlbot release ...`: plan offline, create on the local database, show status."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bot.cli.catalog import CatalogOption, FormatOption
from bot.cli.opening import open_in_repo
from bot.cli.release_report import report
from bot.cli.render import OutputFormat, completion_bar, console, print_json, table
from bot.cli.state import CliState, default_actor, now, parse_date
from bot.db import session_scope
from control_catalog import Function, Kind, Priority, resolve_catalog
from workflows.models import ControlTask, Release, WorkspaceKind
from workflows.opening import StartRequest
from workflows.planning import PlannedTask, Selection, plan_release, release_slug
from workflows.progress import is_overdue, summarize
from workflows.releases import (
    LOCAL_WORKSPACE,
    create_release,
    ensure_workspace,
    find_release,
    list_releases,
    release_tasks,
)
from workflows.retarget import retarget_release
from workflows.sync_errors import tracker_errors

app = typer.Typer(help="Plan, open and follow model releases.", no_args_is_help=True)

Name = Annotated[str, typer.Option("--name", help="Release (model) name, e.g. atlas.")]
Version = Annotated[str, typer.Option("--version", help="Model version, e.g. 2.0.")]
TargetDate = Annotated[
    str | None,
    typer.Option("--target-date", help="Release date (YYYY-MM-DD); due dates count back from it."),
]
PriorityOpt = Annotated[
    Priority | None, typer.Option("--priority", help="Only controls of this priority.")
]
Functions = Annotated[
    list[Function] | None, typer.Option("--function", help="Only these functions (repeatable).")
]
Kinds = Annotated[list[Kind] | None, typer.Option("--kind", help="Only these kinds (repeatable).")]
Include = Annotated[
    list[str] | None, typer.Option("--include", help="Add this control id (repeatable).")
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude", help="Drop this control id (repeatable).")
]
ReleaseRef = Annotated[str, typer.Argument(help="Release slug (atlas-2.0) or name.")]


def _selection(
    priority: Priority | None,
    functions: list[Function] | None,
    kinds: list[Kind] | None,
    include: list[str] | None,
    exclude: list[str] | None,
) -> Selection:
    """Build the selection from the repeatable CLI options."""
    return Selection(
        priority=priority,
        functions=frozenset(functions or ()),
        kinds=frozenset(kinds or ()),
        include=frozenset(include or ()),
        exclude=frozenset(exclude or ()),
    )


def _planned_row(task: PlannedTask) -> dict[str, Any]:
    """A planned task as plain data."""
    c = task.control
    return {
        "position": task.position,
        "control_id": c.id,
        "function": c.function.value,
        "title": c.title,
        "priority": c.priority.value,
        "kind": c.kind.value,
        "due_date": task.due_date.isoformat() if task.due_date else None,
    }


@app.command("plan")
def plan(
    name: Name,
    version: Version,
    target_date: TargetDate = None,
    priority: PriorityOpt = None,
    function: Functions = None,
    kind: Kinds = None,
    include: Include = None,
    exclude: Exclude = None,
    catalog: CatalogOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show the control tasks a release would get; offline, writes nothing."""
    loaded = resolve_catalog(catalog)
    selection = _selection(priority, function, kind, include, exclude)
    tasks = plan_release(
        loaded, selection=selection, target_date=parse_date(target_date, "--target-date")
    )
    rows = [_planned_row(t) for t in tasks]
    if output is OutputFormat.JSON:
        slug = release_slug(name, version)
        print_json({"release": slug, "catalog": loaded.ref, "tasks": rows})
        return
    columns = ("#", "Control", "Function", "Title", "Priority", "Kind", "Due")
    cells = [tuple(r.values()) for r in rows]
    title = f"Plan for {release_slug(name, version)} from {loaded.ref}: {len(rows)} controls"
    console().print(table(title, columns, cells))


@app.command("create")
def create(
    ctx: typer.Context,
    name: Name,
    version: Version,
    target_date: TargetDate = None,
    priority: PriorityOpt = None,
    function: Functions = None,
    kind: Kinds = None,
    include: Include = None,
    exclude: Exclude = None,
    catalog: CatalogOption = None,
    actor: Annotated[str | None, typer.Option(help="Who opens it (audit).")] = None,
    repo: Annotated[
        str | None, typer.Option("--repo", help="OWNER/NAME: open it as GitHub issues there.")
    ] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Commit, tag or branch for the release gate.")
    ] = None,
) -> None:
    """Open a release: on the local database, or as issues in a GitHub repository (--repo)."""
    state: CliState = ctx.obj
    if repo is not None:
        _create_in_repo(state, repo, name, version, target_date, priority, actor, ref)
        return
    loaded = resolve_catalog(catalog or state.settings.catalog)
    selection = _selection(priority, function, kind, include, exclude)
    with session_scope(state.migrated_engine()) as session:
        workspace = ensure_workspace(
            session=session, kind=WorkspaceKind.LOCAL, name=LOCAL_WORKSPACE, now=now()
        )
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=loaded,
            name=name,
            version=version,
            actor=actor or default_actor(),
            now=now(),
            target_date=parse_date(target_date, "--target-date"),
            selection=selection,
        )
        count = len(release_tasks(session=session, release=release))
    print(f"created release {release.slug} with {count} control tasks from {loaded.ref}")


def _create_in_repo(
    state: CliState,
    repo: str,
    name: str,
    version: str,
    target_date: str | None,
    priority: Priority | None,
    actor: str | None,
    ref: str | None,
) -> None:
    """Open the release in GitHub now; selection and catalog come from the repository config."""
    request = StartRequest(
        name=name,
        version=version,
        actor=actor or default_actor(),
        target_date=parse_date(target_date, "--target-date"),
        priority=priority,
        gate_ref=ref,
    )
    release, count, resumed = open_in_repo(state, repo, request)
    verb = "resumed" if resumed else "opened"
    print(f"{verb} release {release.slug} in {repo}: {count} issues")
    for problem in release.problems:
        print(f"warning: {problem}")


@app.command("retarget")
def retarget(
    ctx: typer.Context,
    release: ReleaseRef,
    target_date: Annotated[str, typer.Option("--target-date", help="The new date (YYYY-MM-DD).")],
    actor: Annotated[str | None, typer.Option(help="Who moves it (audit).")] = None,
) -> None:
    """Move a release's target date; open controls' due dates follow and the tracker is told."""
    state: CliState = ctx.obj
    new_date = parse_date(target_date, "--target-date")
    assert new_date is not None
    with session_scope(state.migrated_engine()) as session:
        found = find_release(session=session, ref=release)
        moved = retarget_release(
            session=session,
            release=found,
            target_date=new_date,
            actor=actor or default_actor(),
            now=now(),
        )
    print(
        f"{found.slug} now targets {new_date.isoformat()}: {moved} open controls got new due dates"
    )


@app.command("list")
def list_(ctx: typer.Context, output: FormatOption = OutputFormat.TABLE) -> None:
    """List releases with their completion."""
    state: CliState = ctx.obj
    today = now().date()
    with session_scope(state.migrated_engine()) as session:
        releases = list_releases(session=session)
        items = [
            (r, summarize(release_tasks(session=session, release=r), today=today)) for r in releases
        ]
    data = [
        {**_release_json(r), "total": p.total, "closed": p.closed, "overdue": p.overdue}
        for r, p in items
    ]
    if output is OutputFormat.JSON:
        print_json(data)
        return
    columns = ("Release", "Version", "Target", "State", "Closed", "Overdue")
    rows = [
        (
            d["slug"],
            d["version"],
            d["target_date"],
            d["state"],
            f"{d['closed']}/{d['total']}",
            d["overdue"],
        )
        for d in data
    ]
    console().print(table(f"{len(rows)} releases", columns, rows))


@app.command("status")
def status(
    ctx: typer.Context, release: ReleaseRef, output: FormatOption = OutputFormat.TABLE
) -> None:
    """Show a release's completion and every control task's status."""
    state: CliState = ctx.obj
    today = now().date()
    with session_scope(state.migrated_engine()) as session:
        found = find_release(session=session, ref=release)
        tasks = release_tasks(session=session, release=found)
        errors = tracker_errors(session=session, release=found)
    progress = summarize(tasks, today=today)
    if output is OutputFormat.JSON:
        print_json(
            {
                **_release_json(found),
                "progress": {
                    "total": progress.total,
                    "closed": progress.closed,
                    "percent": round(progress.percent, 1),
                    "high_total": progress.high_total,
                    "high_closed": progress.high_closed,
                    "overdue": progress.overdue,
                    "by_status": {s.value: n for s, n in progress.by_status.items()},
                },
                "tasks": [_task_json(t, today) for t in tasks],
                "errors": errors,
            }
        )
        return
    out = console()
    out.print(
        f"[bold]{found.name} {found.version}[/] ({found.slug}), target {found.target_date or '-'}"
    )
    out.print(completion_bar(progress.closed, progress.total))
    out.print(
        f"high priority {progress.high_closed}/{progress.high_total} closed, "
        f"{progress.overdue} overdue"
    )
    for problem in [*found.problems, *errors]:
        out.print(f"[red]sync error:[/] {problem}", markup=True, highlight=False)
    columns = ("Control", "Function", "Title", "Priority", "Status", "Due", "Owner")
    rows = [
        (
            t.control_id,
            t.function.value,
            t.title,
            t.priority.value,
            _status_cell(t, today),
            t.due_date,
            t.owner,
        )
        for t in tasks
    ]
    out.print(table(None, columns, rows))


app.command("report")(report)


def _status_cell(task: ControlTask, today: Any) -> str:
    """Status, flagged when overdue."""
    return f"{task.status.value} (overdue)" if is_overdue(task, today=today) else task.status.value


def _release_json(release: Release) -> dict[str, Any]:
    """A release's identity as plain data."""
    return {
        "slug": release.slug,
        "name": release.name,
        "version": release.version,
        "target_date": release.target_date.isoformat() if release.target_date else None,
        "state": release.state.value,
        "catalog": release.catalog_ref,
        "selection": release.selection,
    }


def _task_json(task: ControlTask, today: Any) -> dict[str, Any]:
    """A task as plain data."""
    return {
        "key": task.key,
        "control_id": task.control_id,
        "function": task.function.value,
        "title": task.title,
        "priority": task.priority.value,
        "kind": task.kind.value,
        "status": task.status.value,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "overdue": is_overdue(task, today=today),
        "owner": task.owner,
        "justification": task.justification,
    }
