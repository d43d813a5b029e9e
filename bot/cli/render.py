"""Output for the CLI: rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress_bar import ProgressBar
from rich.table import Table


class OutputFormat(StrEnum):
    """How a command prints its answer."""

    TABLE = "table"
    JSON = "json"


def console() -> Console:
    """A console on the current stdout (built per call so redirection and capture work)."""
    return Console(highlight=False, soft_wrap=False)


def print_json(data: Any) -> None:
    """Print JSON exactly, without rich's markup or wrapping."""
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


PROSE_COLUMNS = frozenset({"Title", "Value", "Note"})


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table where only prose columns wrap; None cells print as a dash."""
    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column, no_wrap=column not in PROSE_COLUMNS, overflow="fold")
    for row in rows:
        result.add_row(*("-" if cell is None else str(cell) for cell in row))
    return result


def completion_bar(closed: int, total: int) -> Table:
    """`[bar] 12/72 closed (16.7%)` as one renderable line."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=40)
    grid.add_column()
    percent = 100.0 * closed / total if total else 0.0
    grid.add_row(
        ProgressBar(total=max(total, 1), completed=closed, width=40),
        f"{closed}/{total} closed ({percent:.1f}%)",
    )
    return grid
