"""Optional tracker capabilities beyond the core protocol; GitHub implements all of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from integrations.tracker import EnsureResult, ItemRef, ItemSpec


@dataclass(frozen=True)
class LabelSpec:
    """A label the bot needs in a repository."""

    name: str
    color: str
    description: str = ""


@dataclass(frozen=True)
class GateReport:
    """A release gate to publish as a check run on a commit."""

    sha: str
    name: str
    conclusion: str  # "success" or "action_required"
    title: str
    summary: str
    external_id: str


@runtime_checkable
class ParentMaker(Protocol):
    """Trackers whose release parent is a special item (a Jira epic), not a plain item."""

    def ensure_parent(self, spec: ItemSpec, *, maybe_exist: bool) -> EnsureResult:
        """Find or create the release's parent item (idempotent on `spec.key`)."""
        ...


@runtime_checkable
class Assignable(Protocol):
    """Items assigned by the tracker's user id: GitHub logins; one Jira accountId or username."""

    def set_assignees(self, ref: ItemRef, logins: Sequence[str]) -> None:
        """Make these people the item's assignees (an empty list unassigns)."""
        ...


@runtime_checkable
class IssuePermission(Protocol):
    """Trackers that can say whether a user may edit one particular item (Jira)."""

    def can_edit(self, ref: ItemRef, login: str) -> bool:
        """Whether `login` may edit the item."""
        ...


@runtime_checkable
class ChecklistHost(Protocol):
    """Trackers whose parent item carries an editable checklist section."""

    def update_section(self, ref: ItemRef, section: str) -> bool:
        """Rewrite only the bot's section of the item's body; False when nothing changed."""
        ...


@runtime_checkable
class ChildLinker(Protocol):
    """Trackers that can nest items (GitHub sub-issues)."""

    def link_child(self, parent: ItemRef, child: ItemRef) -> None:
        """Make `child` a sub-issue of `parent`; linking an already-linked child is a no-op."""
        ...


@runtime_checkable
class RepositorySetup(Protocol):
    """Trackers that need labels and a milestone before items are created."""

    def ensure_labels(self, labels: Sequence[LabelSpec]) -> None:
        """Create the labels that are missing."""
        ...

    def ensure_milestone(self, title: str, *, due_on: date | None) -> None:
        """Create the milestone if it is missing."""
        ...


@runtime_checkable
class GateHost(Protocol):
    """Trackers that can show a release gate (GitHub check runs)."""

    def publish_gate(self, report: GateReport) -> None:
        """Create the check run for (sha, name), or update it if it exists."""
        ...

    def resolve_ref(self, ref: str) -> str:
        """The commit SHA of a tag, branch or SHA."""
        ...


@runtime_checkable
class RepositoryAccess(Protocol):
    """What the bot needs to read from a repository to act on comments and config."""

    def permission(self, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none."""
        ...

    def read_config(self, path: str) -> str | None:
        """A file from the default branch (org `.github` repo as fallback), or None."""
        ...

    def react(self, comment_id: int, content: str) -> None:
        """Add a reaction (e.g. "+1") to an issue comment."""
        ...

    def latest_comment(self, ref: ItemRef, *, author: str) -> str | None:
        """The newest comment by `author` on the item, for a close-with-comment justification."""
        ...
