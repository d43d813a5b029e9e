"""`controlbot db ...`: apply migrations."""

from __future__ import annotations

import typer

from bot import migrate
from bot.cli.state import CliState

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the configured database to the newest schema (safe to repeat)."""
    state: CliState = ctx.obj
    migrate.upgrade(state.engine)
    revision = migrate.current_revision(state.engine)
    print(f"database {state.settings.database_url_safe()} is at schema {revision}")
