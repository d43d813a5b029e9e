"""An in-memory tracker with every capability, the same idempotency rules, and failure switches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from integrations import (
    EnsureResult,
    ItemNotFound,
    ItemRef,
    ItemSpec,
    OnEnsured,
    RateLimited,
    RemoteState,
    TrackerRejected,
    TrackerUnavailable,
    WorkState,
)
from integrations.capabilities import GateReport, LabelSpec


@dataclass
class Item:
    """A stored item."""

    number: int
    spec: ItemSpec
    body: str
    state: WorkState = WorkState.TODO
    comments: list[str] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


class InMemoryTracker:
    """Keeps items by number; counts writes; can fail, rate-limit or 'ghost create' on demand.

    Like GitHub, a state change takes no note unless built with `notes_with_state` (like Jira).
    """

    name = "github"

    def __init__(self, *, notes_with_state: bool = False) -> None:
        self.notes_with_state = notes_with_state
        self.items: dict[int, Item] = {}
        self.writes = 0
        self.labels: set[str] = set()
        self.milestones: set[str] = set()
        self.gates: dict[tuple[str, str], GateReport] = {}
        self.permissions: dict[str, str] = {}
        self.config: str | None = None
        self.reactions: list[tuple[int, str]] = []
        self.latest_comments: dict[str, str] = {}
        self.fail_creates_after: int | None = None
        self.ghost_next_create = False
        self.unavailable = 0
        self.unavailable_comments = 0
        self.rate_limited = 0
        self.max_children = 100

    # -- Tracker -----------------------------------------------------------------------------

    def find_item(self, key: str) -> ItemRef | None:
        """The item with this key, if any."""
        for item in self.items.values():
            if item.spec.key == key:
                return self._ref(item)
        return None

    def ensure_items(
        self, specs: Sequence[ItemSpec], *, maybe_exist: bool, on_ensured: OnEnsured
    ) -> None:
        """Create each item (finding it first when a previous attempt may have written it)."""
        for spec in specs:
            found = self.find_item(spec.key) if maybe_exist else None
            if found is not None:
                on_ensured(EnsureResult(spec, found, created=False))
                continue
            on_ensured(EnsureResult(spec, self._create(spec), created=True))

    def set_state(self, ref: ItemRef, state: WorkState, *, note: str | None = None) -> bool:
        """Record the state (and the note when `notes_with_state`); False when unchanged."""
        if note is not None and not self.notes_with_state:
            raise ValueError("this tracker takes no note with a state change; use comment()")
        item = self._get(ref)
        if item.state is state:
            return False
        self._write()
        item.state = state
        if note:
            item.comments.append(note)
        return True

    def comment(self, ref: ItemRef, body: str) -> None:
        """Store a comment (unless `unavailable_comments` says this one fails)."""
        if self.unavailable_comments:
            self.unavailable_comments -= 1
            raise TrackerUnavailable("502 on the comment")
        self._write()
        self._get(ref).comments.append(body)

    def fetch_states(self, refs: Sequence[ItemRef]) -> list[RemoteState]:
        """Current states."""
        now = datetime.now(UTC)
        return [RemoteState(r, self._get(r).state, now) for r in refs]

    # -- capabilities ------------------------------------------------------------------------

    def update_section(self, ref: ItemRef, section: str) -> bool:
        """Replace the body's section; no write when unchanged."""
        from integrations.github.checklist import replace_section

        item = self._get(ref)
        new = replace_section(item.body, section)
        if new == item.body:
            return False
        self._write()
        item.body = new
        return True

    def link_child(self, parent: ItemRef, child: ItemRef) -> None:
        """Nest child under parent (idempotent; capped)."""
        holder = self._get(parent)
        number = int(child.external_id.rsplit("#", 1)[1])
        if number in holder.children:
            return
        if len(holder.children) >= self.max_children:
            raise TrackerRejected("parent has the maximum number of sub-issues")
        self._write()
        holder.children.append(number)

    def ensure_labels(self, labels: Sequence[LabelSpec]) -> None:
        """Create missing labels."""
        for label in labels:
            if label.name not in self.labels:
                self._write()
                self.labels.add(label.name)

    def ensure_milestone(self, title: str, *, due_on: date | None) -> None:
        """Create the milestone if missing."""
        if title not in self.milestones:
            self._write()
            self.milestones.add(title)

    def publish_gate(self, report: GateReport) -> None:
        """Create or update the check run for (sha, name)."""
        self._write()
        self.gates[(report.sha, report.name)] = report

    def resolve_ref(self, ref: str) -> str:
        """Pretend every ref is its own SHA."""
        return ref

    def permission(self, login: str) -> str:
        """Role of a user (none unless set)."""
        return self.permissions.get(login, "none")

    def read_config(self, path: str) -> str | None:
        """The repository config text, if set."""
        return self.config

    def react(self, comment_id: int, content: str) -> None:
        """Record a reaction."""
        self.reactions.append((comment_id, content))

    def latest_comment(self, ref: ItemRef, *, author: str) -> str | None:
        """A comment the test planted for this author."""
        return self.latest_comments.get(author)

    # -- helpers -----------------------------------------------------------------------------

    def by_key(self, key: str) -> Item:
        """The item with this key (test helper)."""
        return next(i for i in self.items.values() if i.spec.key == key)

    def keys(self) -> list[str]:
        """Every item's key, with repeats if anything was duplicated."""
        return [i.spec.key for i in self.items.values()]

    def _create(self, spec: ItemSpec) -> ItemRef:
        if self.fail_creates_after is not None:
            if self.fail_creates_after <= 0:
                raise TrackerUnavailable("injected outage")
            self.fail_creates_after -= 1
        self._write()
        number = len(self.items) + 1
        self.items[number] = Item(number, spec, spec.body)
        if self.ghost_next_create:
            self.ghost_next_create = False
            raise TrackerUnavailable("500 after the issue was created")
        return self._ref(self.items[number])

    def _write(self) -> None:
        if self.rate_limited:
            self.rate_limited -= 1
            raise RateLimited("secondary rate limit", retry_after=30)
        if self.unavailable:
            self.unavailable -= 1
            raise TrackerUnavailable("502")
        self.writes += 1

    def _get(self, ref: ItemRef) -> Item:
        number = int(ref.external_id.rsplit("#", 1)[1])
        if number not in self.items:
            raise ItemNotFound(ref.external_id)
        return self.items[number]

    def _ref(self, item: Item) -> ItemRef:
        return ItemRef(
            "github",
            f"o/r#{item.number}",
            f"https://example.test/o/r/issues/{item.number}",
            str(1000 + item.number),
        )
