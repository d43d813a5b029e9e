"""Choosing a Jira transition for a wanted state: pure, over parsed transition options.

Rules (anchors pitfall 6): match the target status's statusCategory, never the transition name;
a per-project override (target status name or transition id) wins; for not_applicable prefer a
transition or resolution named in `na_resolutions`; for done avoid them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.jira.mapping import CATEGORY_OF, is_na_resolution
from integrations.tracker import WorkState

PREFERRED_DONE = "Done"
# When no transition reaches the wanted state directly, one step through this state may.
STEP_BEFORE: Mapping[WorkState, WorkState] = {
    WorkState.DONE: WorkState.IN_PROGRESS,
    WorkState.IN_PROGRESS: WorkState.TODO,
    WorkState.BLOCKED: WorkState.TODO,
}


@dataclass(frozen=True)
class TransitionOption:
    """One transition offered now; `resolutions` is None when its screen has no resolution."""

    id: str
    name: str
    to_name: str
    to_category: str
    resolutions: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TransitionOption:
        """Parse one entry of `GET issue/{key}/transitions?expand=transitions.fields`."""
        target = raw.get("to") or {}
        fields = raw.get("fields") or {}
        resolution = fields.get("resolution")
        allowed: tuple[str, ...] | None = None
        if isinstance(resolution, Mapping):
            values = resolution.get("allowedValues") or []
            allowed = tuple(str(v.get("name")) for v in values if v.get("name"))
        return cls(
            id=str(raw.get("id")),
            name=str(raw.get("name") or ""),
            to_name=str(target.get("name") or ""),
            to_category=str((target.get("statusCategory") or {}).get("key") or ""),
            resolutions=allowed,
        )

    def describe(self) -> str:
        """`31 'Done' -> Done (done)`, for error messages."""
        return f"{self.id} {self.name!r} -> {self.to_name} ({self.to_category})"


@dataclass(frozen=True)
class Move:
    """A transition to take, with the resolution to set on its screen (None: leave as is)."""

    transition: TransitionOption
    resolution: str | None = None


def _is_na(option: TransitionOption, na_resolutions: Sequence[str]) -> bool:
    """Whether the transition itself is named like an N/A resolution (e.g. "Won't Do")."""
    return is_na_resolution(option.name, na_resolutions) or is_na_resolution(
        option.to_name, na_resolutions
    )


def _done_move(option: TransitionOption, na_resolutions: Sequence[str]) -> Move | None:
    """Done through `option` with a non-N/A resolution, if its screen allows one."""
    if option.resolutions is None or not option.resolutions:
        return Move(option)
    fine = [r for r in option.resolutions if not is_na_resolution(r, na_resolutions)]
    if not fine:
        return None
    preferred = [r for r in fine if r.casefold() == PREFERRED_DONE.casefold()]
    return Move(option, (preferred or fine)[0])


def _na_move(option: TransitionOption, na_resolutions: Sequence[str]) -> Move | None:
    """Not applicable through `option` with an N/A resolution where the screen has one."""
    if option.resolutions is None:
        return Move(option) if _is_na(option, na_resolutions) else None
    if not option.resolutions:
        return Move(option, na_resolutions[0]) if na_resolutions else None
    offered = {r.casefold(): r for r in option.resolutions}
    for name in na_resolutions:
        if name.casefold() in offered:
            return Move(option, offered[name.casefold()])
    return None


def _move(option: TransitionOption, wanted: WorkState, na: Sequence[str]) -> Move | None:
    """The move through `option` for `wanted`, with the right resolution, or None."""
    if wanted is WorkState.DONE:
        return _done_move(option, na)
    if wanted is WorkState.NOT_APPLICABLE:
        return _na_move(option, na)
    return Move(option)


def _claimed(overrides: Mapping[WorkState, str], wanted: WorkState) -> set[str]:
    """Status names and transition ids that overrides reserve for other states."""
    return {v.casefold() for state, v in overrides.items() if state is not wanted}


def choose_move(
    options: Iterable[TransitionOption],
    wanted: WorkState,
    *,
    na_resolutions: Sequence[str],
    overrides: Mapping[WorkState, str],
) -> Move | None:
    """The best move to `wanted` among `options`, or None when none fits."""
    options = list(options)
    target = overrides.get(wanted)
    if target is not None:
        chosen = [o for o in options if target.casefold() in (o.id, o.to_name.casefold())]
        if not chosen:
            return None
        return _move(chosen[0], wanted, na_resolutions) or Move(chosen[0])
    claimed = _claimed(overrides, wanted)
    fitting = [
        o
        for o in options
        if o.to_category == CATEGORY_OF[wanted]
        and o.id not in claimed
        and o.to_name.casefold() not in claimed
    ]
    if wanted is WorkState.DONE:
        fitting = [o for o in fitting if not _is_na(o, na_resolutions)]
    if wanted is WorkState.NOT_APPLICABLE:
        fitting.sort(key=lambda o: not _is_na(o, na_resolutions))
    for option in fitting:
        if move := _move(option, wanted, na_resolutions):
            return move
    return None
