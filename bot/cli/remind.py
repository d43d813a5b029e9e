"""`controlbot remind`: run the reminder sweep now, or preview it with `--dry-run`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.errors import CliError
from bot.cli.state import CliState, now
from workflows.remind import Digest, send_reminders


def parse_now(value: str | None) -> datetime:
    """The `--now` option as an aware timestamp (the wall clock when absent)."""
    if value is None:
        return now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CliError(
            f"--now must be an ISO-8601 timestamp with a UTC offset, "
            f"like 2026-12-01T09:00:00+00:00, not {value!r}"
        )
    return moment


def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; write nothing.")
    ] = False,
    at: Annotated[
        str | None, typer.Option("--now", help="Pretend it is this ISO-8601 time (with offset).")
    ] = None,
) -> None:
    """Claim due reminders and queue one digest per release (the outbox sends them)."""
    moment = parse_now(at)
    state: CliState = ctx.obj
    with Session(state.migrated_engine(), expire_on_commit=False) as session:
        digests = send_reminders(session=session, now=moment, dry_run=dry_run)
    for digest in digests:
        _print(digest)
    verb = "would be queued" if dry_run else "queued"
    print(f"{len(digests)} reminder digest{'s' if len(digests) != 1 else ''} {verb}")


def _print(digest: Digest) -> None:
    """One digest with the item it goes to."""
    print(f"== {digest.release_slug} -> {digest.external_id} ({digest.reminders} reminders)")
    print(digest.body)
    print()
