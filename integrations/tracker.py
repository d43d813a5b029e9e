"""The one Tracker protocol that GitHub and Jira adapters implement, and its frozen value types."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class WorkState(StrEnum):
    """What a tracker item should show; same values as a control task's status."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ItemSpec:
    """What an item should look like; its `key` (`<release>:<control>`) makes writes idempotent."""

    key: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: str | None = None


@dataclass(frozen=True)
class ItemRef:
    """Where an item lives: `owner/repo#12` or `PROJ-12`, plus the API id where one exists."""

    tracker: str
    external_id: str
    url: str
    internal_id: str | None = None


@dataclass(frozen=True)
class RemoteState:
    """An item's state as the tracker reports it, for reconciling missed webhooks."""

    ref: ItemRef
    state: WorkState
    updated_at: datetime
    note: str | None = None


@dataclass(frozen=True)
class EnsureResult:
    """The outcome of ensuring one item: its ref, and whether this call created it."""

    spec: ItemSpec
    ref: ItemRef
    created: bool = field(default=False)


OnEnsured = Callable[[EnsureResult], None]


class Tracker(Protocol):
    """The verbs workflows use on any tracker; every write is idempotent on the item's key."""

    name: str
    # True when `set_state` sends its note in the same request as the change (a Jira transition).
    # Otherwise the change and a comment are two requests, so callers post the note themselves
    # (through the outbox) and pass no note: one failing after the other must not lose it.
    notes_with_state: bool

    def find_item(self, key: str) -> ItemRef | None:
        """The item carrying this key, or None when the tracker positively has none."""
        ...

    def ensure_items(
        self, specs: Sequence[ItemSpec], *, maybe_exist: bool, on_ensured: OnEnsured
    ) -> None:
        """Create (or find, when a previous attempt may have written) each item, in order.

        `on_ensured` is called after each item so the caller can commit its ref before the next.
        """
        ...

    def set_state(self, ref: ItemRef, state: WorkState, *, note: str | None = None) -> bool:
        """Make the item show this state: True when this call changed it, False (no write) if shown.

        `note` says why; only trackers with `notes_with_state` take one (sent with the change).
        """
        ...

    def comment(self, ref: ItemRef, body: str) -> None:
        """Post a comment on the item."""
        ...

    def fetch_states(self, refs: Sequence[ItemRef]) -> list[RemoteState]:
        """The current state of each item, for reconcile."""
        ...
