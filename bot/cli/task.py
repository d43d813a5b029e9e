"""`controlbot task ...`: move a control task through the status table and read its audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.catalog import FormatOption
from bot.cli.render import OutputFormat, console, print_json, table
from bot.cli.state import CliState, default_actor, now
from bot.db import session_scope
from workflows.releases import find_release
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task, set_status, task_history

app = typer.Typer(help="Change and inspect control tasks.", no_args_is_help=True)

ReleaseRef = Annotated[str, typer.Argument(help="Release slug or name.")]
ControlId = Annotated[str, typer.Argument(help="Control id, e.g. GV-1.2.")]


@app.command("set")
def set_(
    ctx: typer.Context,
    release: ReleaseRef,
    control_id: ControlId,
    status: Annotated[ControlStatus, typer.Argument(help="New status.")],
    note: Annotated[
        str | None,
        typer.Option("--note", "--justification", help="Why (required for not_applicable)."),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who makes the change (audit).")] = None,
) -> None:
    """Set a control task's status; a repeat changes nothing, an impossible move is refused."""
    state: CliState = ctx.obj
    with session_scope(state.migrated_engine()) as session:
        found = find_release(session=session, ref=release)
        task = get_task(session=session, release=found, control_id=control_id)
        change = set_status(
            session=session,
            task=task,
            status=status,
            actor=actor or default_actor(),
            source=ChangeSource.CLI,
            now=now(),
            note=note,
        )
        session.commit()
    if change is None:
        print(f"{found.slug} {task.control_id} is already {status.value}: nothing changed")
    else:
        moved = f"{change.from_status.value} -> {change.to_status.value}"
        print(f"{found.slug} {task.control_id}: {moved}")


@app.command("history")
def history(
    ctx: typer.Context,
    release: ReleaseRef,
    control_id: ControlId,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show a control task's audit trail, oldest first."""
    state: CliState = ctx.obj
    with session_scope(state.migrated_engine()) as session:
        found = find_release(session=session, ref=release)
        task = get_task(session=session, release=found, control_id=control_id)
        changes = task_history(session=session, task=task)
    rows = [
        (
            c.at.isoformat(timespec="seconds"),
            c.from_status.value,
            c.to_status.value,
            c.actor,
            c.source.value,
            c.note,
        )
        for c in changes
    ]
    if output is OutputFormat.JSON:
        keys = ("at", "from", "to", "actor", "source", "note")
        print_json([dict(zip(keys, row, strict=True)) for row in rows])
        return
    columns = ("When (UTC)", "From", "To", "Actor", "Source", "Note")
    console().print(table(f"{found.slug} {task.control_id}", columns, rows))
