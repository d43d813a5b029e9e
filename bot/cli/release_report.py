"""`controlbot release report`: a release's report as Markdown, CSV, JSON or OSCAL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.errors import CliError
from bot.cli.state import CliState, now
from bot.db import session_scope
from workflows.report_formats import ReportFormat, render_report

ReleaseArg = Annotated[str, typer.Argument(help="Release slug (atlas-2.0) or name.")]
FormatOpt = Annotated[
    ReportFormat,
    typer.Option("--format", help="md (review document), csv, json or oscal (assessment results)."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False),
]


def report(
    ctx: typer.Context,
    release: ReleaseArg,
    fmt: FormatOpt = ReportFormat.MD,
    output: OutputOpt = None,
) -> None:
    """Print or save a release's report: status, owners, evidence and crosswalks per control."""
    state: CliState = ctx.obj
    with session_scope(state.migrated_engine()) as session:
        content, _media_type, _filename = render_report(
            session=session, release=release, fmt=fmt, now=now()
        )
    if output is None:
        sys.stdout.write(content)
        return
    _write(output, content)
    print(f"wrote {fmt.value} report to {output}")


def _write(path: Path, content: str) -> None:
    """Write the file as rendered (CSV keeps its CRLF rows); a failure is one line."""
    try:
        path.write_text(content, encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
