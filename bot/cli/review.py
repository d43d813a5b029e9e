"""`controlbot review`: list upcoming and open reviews, or open the due ones now."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlmodel import Session

from bot.cli.catalog import FormatOption
from bot.cli.errors import CliError
from bot.cli.remind import parse_now
from bot.cli.render import OutputFormat, console, print_json, table
from bot.cli.state import CliState
from workflows.reviews import ReviewLine, open_reviews, review_lines

app = typer.Typer(help="Recurring reviews of controls, one per period.", no_args_is_help=True)
NowOption = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this ISO-8601 time (with offset).")
]


def _as_dict(line: ReviewLine) -> dict[str, Any]:
    upcoming = line.opens_now or line.next
    return {
        "workspace": line.workspace,
        "control_id": line.control_id,
        "cadence": line.cadence,
        "last_period": line.open_period,
        "last_due": line.open_due.isoformat() if line.open_due else None,
        "last_status": line.open_status,
        "opens_now": line.opens_now is not None,
        "next_period": upcoming.key if upcoming else None,
        "next_opens": upcoming.start.isoformat() if upcoming else None,
        "next_due": upcoming.due.isoformat() if upcoming else None,
        "waiting": line.waiting,
    }


@app.command("list")
def list_(
    ctx: typer.Context, output: FormatOption = OutputFormat.TABLE, at: NowOption = None
) -> None:
    """Each reviewed control per workspace: its latest review and the next period."""
    moment = parse_now(at)
    state: CliState = ctx.obj
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        rows = [_as_dict(line) for line in review_lines(session=session, now=moment)]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    columns = ["Workspace", "Control", "Cadence", "Last", "Due", "Status", "Next", "Opens", "Note"]
    cells = [
        [
            r["workspace"],
            r["control_id"],
            r["cadence"],
            r["last_period"],
            r["last_due"],
            r["last_status"],
            r["next_period"],
            "now" if r["opens_now"] else r["next_opens"],
            r["waiting"],
        ]
        for r in rows
    ]
    console().print(table("Reviews", columns, cells))


@app.command("open")
def open_(ctx: typer.Context, at: NowOption = None) -> None:
    """Open the reviews whose period has begun (the outbox files them in the tracker)."""
    moment = parse_now(at)
    state: CliState = ctx.obj
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        run = open_reviews(session=session, now=moment)
    for workspace, control_id, period in run.opened:
        print(f"opened {control_id} {period} in {workspace}")
    for problem in run.problems:
        print(f"problem: {problem}")
    print(f"{len(run.opened)} review{'s' if len(run.opened) != 1 else ''} opened")
    if run.problems:
        raise CliError(f"{len(run.problems)} config problem(s); the other reviews were opened")
