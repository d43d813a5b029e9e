"""The release page's filters: parsed from the query string, applied to report rows (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from control_catalog import Function, Priority
from workflows.reports import ReportRow
from workflows.status import ControlStatus

UNASSIGNED = "-"
_E = TypeVar("_E", bound=StrEnum)


class BadFilter(ValueError):
    """A filter value that names no status, function or priority."""

    def __init__(self, name: str, value: str, allowed: Iterable[str]) -> None:
        self.name, self.value = name, value
        super().__init__(f"{name}={value!r} is not one of: {', '.join(allowed)}")


def _choice(kind: type[_E], name: str, value: str | None) -> _E | None:
    """An enum member from a form value; empty means no filter."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise BadFilter(name, value, [m.value for m in kind]) from None


@dataclass(frozen=True)
class ReleaseFilters:
    """What the release page narrows its rows to; None means any."""

    status: ControlStatus | None = None
    function: Function | None = None
    priority: Priority | None = None
    owner: str | None = None  # UNASSIGNED: no owner

    @classmethod
    def parse(
        cls,
        *,
        status: str | None = None,
        function: str | None = None,
        priority: str | None = None,
        owner: str | None = None,
    ) -> ReleaseFilters:
        """Read the form's values; raises BadFilter for a value no row could have."""
        return cls(
            status=_choice(ControlStatus, "status", status),
            function=_choice(Function, "function", function),
            priority=_choice(Priority, "priority", priority),
            owner=(owner or "").strip() or None,
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(v is not None for v in (self.status, self.function, self.priority, self.owner))

    def keeps(self, row: ReportRow) -> bool:
        """Whether a row passes every filter that is set."""
        if self.status is not None and row.status is not self.status:
            return False
        if self.function is not None and row.function is not self.function:
            return False
        if self.priority is not None and row.priority is not self.priority:
            return False
        if self.owner is None:
            return True
        return (row.owner or UNASSIGNED) == self.owner

    def apply(self, rows: Iterable[ReportRow]) -> list[ReportRow]:
        """The rows that pass."""
        return [r for r in rows if self.keeps(r)]


def owners(rows: Iterable[ReportRow]) -> list[str]:
    """The owners a filter can pick, sorted, with UNASSIGNED last when some row has none."""
    names = {r.owner for r in rows}
    listed = sorted(n for n in names if n)
    return [*listed, UNASSIGNED] if None in names or "" in names else listed
