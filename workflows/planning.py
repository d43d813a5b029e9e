"""Planning: which controls a release tracks, in what order, due when (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from control_catalog import Catalog, Control, Function, Kind, Priority
from workflows.errors import PlanningError

# Days before the target date each function's controls are due. Context (MAP) comes first,
# governance sign-offs next, evaluations (MEASURE) after, risk treatment (MANAGE) last.
DEFAULT_DUE_OFFSETS: Mapping[str, int] = {
    Function.MAP.value: 28,
    Function.GOVERN.value: 21,
    Function.MEASURE.value: 14,
    Function.MANAGE.value: 7,
}


@dataclass(frozen=True)
class Selection:
    """Which catalog controls a release takes: filters, then explicit includes and excludes."""

    priority: Priority | None = None
    functions: frozenset[Function] = field(default_factory=frozenset)
    kinds: frozenset[Kind] = field(default_factory=frozenset)
    include: frozenset[str] = field(default_factory=frozenset)
    exclude: frozenset[str] = field(default_factory=frozenset)

    def matches(self, control: Control) -> bool:
        """Whether the filters (priority, functions, kinds) admit this control."""
        return (
            (self.priority is None or control.priority is self.priority)
            and (not self.functions or control.function in self.functions)
            and (not self.kinds or control.kind in self.kinds)
        )

    def to_json(self) -> dict[str, Any]:
        """A plain, sorted form to store with the release."""
        return {
            "priority": self.priority.value if self.priority else None,
            "functions": sorted(f.value for f in self.functions),
            "kinds": sorted(k.value for k in self.kinds),
            "include": sorted(self.include),
            "exclude": sorted(self.exclude),
        }


@dataclass(frozen=True)
class PlannedTask:
    """One control a release will track, with its place in the list and its due date."""

    position: int
    control: Control
    due_date: date | None


def plan_release(
    catalog: Catalog,
    *,
    selection: Selection | None = None,
    target_date: date | None = None,
    due_offsets: Mapping[str, int] = DEFAULT_DUE_OFFSETS,
) -> list[PlannedTask]:
    """The ordered tasks for a release: the controls the selection admits, in Profile order."""
    selection = selection or Selection()
    _check_ids(catalog, selection)
    include, exclude = _upper(selection.include), _upper(selection.exclude)
    chosen = [
        c
        for c in catalog.controls
        if (selection.matches(c) or c.id in include) and c.id not in exclude
    ]
    if not chosen:
        raise PlanningError("the selection matches no controls")
    return [
        PlannedTask(position, control, due_date_for(control, target_date, due_offsets))
        for position, control in enumerate(chosen, start=1)
    ]


def due_date_for(
    control: Control, target_date: date | None, due_offsets: Mapping[str, int]
) -> date | None:
    """Target date minus the control's offset (by control id, else by function; 0 if neither)."""
    return due_date(control.id, control.function, target_date, due_offsets)


EARLIEST_DATE = date(2000, 1, 1)  # target dates outside these bounds are typos, and due
LATEST_DATE = date(2999, 12, 31)  # dates counted back from them could leave the calendar


def due_date(
    control_id: str, function: Function, target_date: date | None, due_offsets: Mapping[str, int]
) -> date | None:
    """The due-date rule shared by planning and re-targeting."""
    if target_date is None:
        return None
    days = due_offsets.get(control_id, due_offsets.get(function.value, 0))
    return target_date - timedelta(days=days)


def release_slug(name: str, version: str) -> str:
    """A stable, URL-safe handle for a release: `Atlas 2`, `1.0` -> `atlas-2-1.0`."""
    text = unicodedata.normalize("NFKD", f"{name}-{version}").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    if not slug:
        raise PlanningError(f"release name {name!r} and version {version!r} give an empty slug")
    return slug


def task_key(slug: str, control_id: str) -> str:
    """The idempotency key of a control task, `<release-slug>:<control-id>`."""
    return f"{slug}:{control_id}"


def _check_ids(catalog: Catalog, selection: Selection) -> None:
    """Refuse include/exclude ids the catalog does not have, or ids in both lists."""
    unknown = sorted(i for i in _upper(selection.include | selection.exclude) if not catalog.get(i))
    if unknown:
        raise PlanningError(f"{catalog.ref} has no control {', '.join(unknown)}")
    both = sorted(_upper(selection.include) & _upper(selection.exclude))
    if both:
        raise PlanningError(f"{', '.join(both)} both included and excluded")


def _upper(ids: Iterable[str]) -> set[str]:
    """Control ids as the catalog spells them."""
    return {i.strip().upper() for i in ids}
