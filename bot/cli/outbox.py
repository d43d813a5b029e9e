"""`controlbot outbox ...`: see and run the queued tracker writes."""

from __future__ import annotations

import typer
from sqlmodel import Session, col, select

from bot.cli.render import console, table
from bot.cli.state import CliState, now
from bot.trackers import TrackerRegistry
from workflows.jobs import drain
from workflows.models import OutboxItem, OutboxState

app = typer.Typer(help="Queued tracker writes.", no_args_is_help=True)


@app.command("drain")
def drain_once(ctx: typer.Context) -> None:
    """Run the due tracker writes once (the service does this in the background)."""
    state: CliState = ctx.obj
    engine = state.migrated_engine()
    stats = drain(
        engine=engine, tracker_for=TrackerRegistry(state.settings).for_workspace, clock=now
    )
    print(f"{stats.done} done, {stats.retried} to retry, {stats.dead} failed for good")


@app.command("list")
def list_jobs(ctx: typer.Context) -> None:
    """Show writes that are waiting or that failed for good."""
    state: CliState = ctx.obj
    with Session(state.migrated_engine()) as session:
        jobs = session.exec(
            select(OutboxItem)
            .where(OutboxItem.state != OutboxState.DONE)
            .order_by(col(OutboxItem.next_attempt_at))
        ).all()
        rows = [
            (
                j.key,
                j.kind,
                j.state.value,
                j.attempts,
                j.next_attempt_at.isoformat(timespec="seconds"),
                j.last_error,
            )
            for j in jobs
        ]
    columns = ("Key", "Kind", "State", "Attempts", "Next try (UTC)", "Note")
    console().print(table(f"{len(rows)} queued writes", columns, rows))
