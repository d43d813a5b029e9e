"""Errors of the workflows package; each carries the data a caller needs to explain it.

WorkflowError
 ├─ InvalidTransition       a status move the table forbids
 ├─ JustificationRequired   not_applicable without a reason
 ├─ PlanningError           a selection that names unknown controls or selects none
 ├─ ReleaseExists           a release with that slug is already tracked
 ├─ UnknownRelease          no release matches a reference (or several do)
 └─ UnknownTask             the release has no task for that control
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Root of every error the workflows package raises on purpose."""


class InvalidTransition(WorkflowError):
    """A control task cannot move from `current` to `target`."""

    def __init__(self, current: str, target: str, allowed: list[str]) -> None:
        self.current, self.target, self.allowed = current, target, allowed
        super().__init__(
            f"cannot move a control from {current} to {target}; from {current} it can go to "
            + ", ".join(allowed)
        )


class JustificationRequired(WorkflowError):
    """Moving to `status` needs a written justification."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"marking a control {status} needs a justification")


class PlanningError(WorkflowError):
    """The selection cannot produce a plan."""


class ReleaseExists(WorkflowError):
    """A release with this slug already exists in the workspace."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"release {slug} already exists")


class UnknownRelease(WorkflowError):
    """No single release matches the reference given."""

    def __init__(self, ref: str, candidates: list[str] | None = None) -> None:
        self.ref, self.candidates = ref, candidates or []
        detail = f"; it matches {', '.join(self.candidates)}: give the slug" if candidates else ""
        super().__init__(f"no single release {ref!r}{detail}")


class UnknownTask(WorkflowError):
    """The release has no task for this control id."""

    def __init__(self, release: str, control_id: str) -> None:
        self.release, self.control_id = release, control_id
        super().__init__(f"release {release} has no control {control_id}")
