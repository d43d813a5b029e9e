"""`controlbot token ...`: API tokens for the REST API and the dashboard's sign-in form."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.catalog import FormatOption
from bot.cli.render import OutputFormat, console, print_json, table
from bot.cli.state import CliState, now
from bot.db import session_scope
from workflows.access import ApiToken, Scope, create_token, list_tokens, revoke_token

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


class TokenScope(StrEnum):
    """What a new token may do."""

    READ = "read"
    WRITE = "write"


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A unique name, e.g. ci or alice.")],
    scope: Annotated[TokenScope, typer.Option("--scope", help="read, or read and write.")],
    workspace: Annotated[
        list[str] | None,
        typer.Option("--workspace", help="Limit to this workspace (repeatable); default: all."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, help="Stop working after N days.")
    ] = None,
) -> None:
    """Create a token and print it once (the last word of the output); only a hash is kept."""
    state: CliState = ctx.obj
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise typer.BadParameter("give 1 to 100 characters", param_hint="--name")
    started = now()
    expires = started + timedelta(days=expires_in_days) if expires_in_days else None
    with session_scope(state.migrated_engine()) as session:
        row, secret = create_token(
            session=session,
            name=clean,
            scope=Scope(scope.value),
            workspaces=workspace or [],
            now=started,
            expires_at=expires,
        )
    where = ", ".join(workspace) if workspace else "all workspaces"
    until = f", expires {expires:%Y-%m-%d}" if expires else ""
    print(
        f"created {row.scope.value} token {row.name} ({where}{until}); it is shown once: {secret}"
    )


def _row(token: ApiToken) -> dict[str, str | list[int] | None]:
    """A token as plain data: never its value, only its first characters."""
    state = "revoked" if token.revoked_at else "expired" if _expired(token) else "active"
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope.value,
        "workspaces": token.workspace_ids or None,
        "state": state,
        "created_at": token.created_at.isoformat(timespec="seconds"),
        "last_used_at": token.last_used_at.isoformat(timespec="seconds")
        if token.last_used_at
        else None,
        "expires_at": token.expires_at.isoformat(timespec="seconds") if token.expires_at else None,
    }


def _expired(token: ApiToken) -> bool:
    """Whether the token's expiry has passed."""
    return token.expires_at is not None and token.expires_at <= now()


@app.command("list")
def list_(ctx: typer.Context, output: FormatOption = OutputFormat.TABLE) -> None:
    """List tokens (names, scopes, state; never their values)."""
    state: CliState = ctx.obj
    with session_scope(state.migrated_engine()) as session:
        rows = [_row(t) for t in list_tokens(session=session)]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    columns = ("Name", "Starts with", "Scope", "Workspaces", "State", "Last used")
    cells = [
        (
            r["name"],
            f"{r['prefix']}…",
            r["scope"],
            "all" if r["workspaces"] is None else ", ".join(map(str, r["workspaces"] or [])),
            r["state"],
            str(r["last_used_at"] or "never")[:10],
        )
        for r in rows
    ]
    console().print(table(f"{len(rows)} tokens", columns, cells))


@app.command("revoke")
def revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The token's name.")]
) -> None:
    """Revoke a token: API calls and dashboard sessions made with it stop working at once."""
    state: CliState = ctx.obj
    with session_scope(state.migrated_engine()) as session:
        row = revoke_token(session=session, name=name.strip(), now=now())
    print(f"revoked token {row.name}")
