"""What CLI commands share: settings read per invocation, and an engine on a migrated database."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from sqlalchemy import Engine

from bot import migrate
from bot.cli.errors import CliError
from bot.db import make_engine
from bot.settings import Settings
from workflows.planning import EARLIEST_DATE, LATEST_DATE


@dataclass
class CliState:
    """Lazily built shared objects for one CLI invocation."""

    settings: Settings = field(default_factory=Settings)

    @cached_property
    def engine(self) -> Engine:
        """An engine on the configured database (not checked)."""
        return make_engine(self.settings.database_url.get_secret_value())

    def migrated_engine(self) -> Engine:
        """The engine, after checking the schema is current; otherwise a one-line hint."""
        current = migrate.current_revision(self.engine)
        head = migrate.head_revision()
        if current != head:
            where = self.settings.database_url_safe()
            raise CliError(
                f"database {where} is at schema {current or 'none'}, the code needs {head}: "
                "run 'controlbot db upgrade'"
            )
        return self.engine

    def close(self) -> None:
        """Release the engine's connections, if one was made."""
        if "engine" in self.__dict__:
            self.engine.dispose()


def now() -> datetime:
    """The wall clock in UTC: read here, at the edge, and passed into the core."""
    return datetime.now(UTC)


def default_actor() -> str:
    """Who is acting from this shell, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date from an option, or a one-line error naming the option."""
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} must be a date like 2026-12-31, not {value!r}") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise CliError(f"{option} must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return parsed
