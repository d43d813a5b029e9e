"""Evidence links on a control task: added once each, kept in the order they came."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflows.models import ControlTask

MAX_EVIDENCE = 200


def add_evidence(
    *, session: Session, task: ControlTask, url: str, actor: str, now: datetime
) -> bool:
    """Attach `url` to the task and commit; False when it is already there."""
    if url in task.evidence:
        return False
    if len(task.evidence) >= MAX_EVIDENCE:
        raise ValueError(f"{task.control_id} already has {MAX_EVIDENCE} evidence links")
    task.evidence = [*task.evidence, url]
    task.updated_at = now
    session.add(task)
    session.commit()
    return True
