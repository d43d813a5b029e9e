"""The `controlbot` command line: catalog, release, task, db, serve, scheduler and remind."""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer
from typer.main import get_command

from bot.cli import catalog, db, jira, outbox, release, remind, review, scheduler, task, token
from bot.cli.errors import run_guarded
from bot.cli.state import CliState, now
from bot.db import session_scope
from workflows.access import has_live_token, issue_admin_link

app = typer.Typer(
    help="controlbot: the GPAI Profile's risk controls as tracked work per model release.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(release.app, name="release")
app.add_typer(task.app, name="task")
app.add_typer(db.app, name="db")
app.add_typer(outbox.app, name="outbox")
app.add_typer(jira.app, name="jira")
app.add_typer(review.app, name="review")
app.add_typer(token.app, name="token")
app.command("scheduler")(scheduler.run)
app.command("remind")(remind.run)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Read settings once per invocation and share them with the subcommand."""
    ctx.obj = CliState()
    ctx.call_on_close(ctx.obj.close)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=32)] = 1,
) -> None:
    """Run the web service (webhooks, API, dashboard) and, unless disabled, the job scheduler."""
    import uvicorn

    from bot.main import create_app

    state: CliState = ctx.obj
    announce_admin_link(state)
    if workers > 1:  # each process builds its own app from the environment
        uvicorn.run("bot.main:app_from_env", factory=True, host=host, port=port, workers=workers)
        return
    app_ = create_app(state.settings, run_worker=state.settings.run_worker)
    gc.freeze()  # start-up objects never need collecting: full collections stay short
    uvicorn.run(app_, host=host, port=port, log_level="info")


def announce_admin_link(state: CliState) -> None:
    """On a fresh install (no live token yet), print a one-time admin sign-in link."""
    with session_scope(state.migrated_engine()) as session:
        if has_live_token(session=session, now=now()) or state.settings.api_token is not None:
            return
        code = issue_admin_link(session=session, now=now())
    url = state.settings.public_url.rstrip("/")
    print(
        f"No API token exists yet. Sign in once as admin (valid 24 h): {url}/login/once?code={code}"
    )
    print("Then create tokens with: controlbot token create --name NAME --scope read|write")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the CLI and exit with its code, never a traceback."""
    command = get_command(app)
    args = sys.argv[1:] if argv is None else argv
    code = run_guarded(
        lambda: command.main(args=args, prog_name="controlbot", standalone_mode=False)
    )
    sys.exit(code)
