"""Errors of the catalog package; each problem names the file, the entry and the field.

CatalogError
 └─ (carries a list of CatalogProblem)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogProblem:
    """One thing wrong with a catalog file: where it is and what is wrong."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.entry, self.field) if part)
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """A catalog could not be found, read or validated; `problems` lists every reason."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
