"""Sync failures kept on the items they concern, so status pages can show them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from integrations import TrackerError, TrackerRejected
from workflows.models import Release, TrackerItem


def record_sync_failure(
    *, session: Session, release: Release, error: TrackerError, now: datetime
) -> int:
    """Put the error on each item that was attempted but not created; returns how many."""
    rows = session.exec(
        select(TrackerItem).where(
            TrackerItem.release_id == release.id,
            col(TrackerItem.external_id).is_(None),
            TrackerItem.attempts > 0,
        )
    ).all()
    reasons = error.reasons if isinstance(error, TrackerRejected) else {}
    for row in rows:
        row.last_error = reasons.get(row.key) or str(error)
        row.updated_at = now
        session.add(row)
    session.commit()
    return len(rows)


def tracker_errors(*, session: Session, release: Release) -> list[str]:
    """`<issue or key>: <error>` for each of the release's items with a recorded error."""
    rows = session.exec(
        select(TrackerItem)
        .where(TrackerItem.release_id == release.id, col(TrackerItem.last_error).is_not(None))
        .order_by(col(TrackerItem.id))
    ).all()
    return [f"{row.external_id or row.key}: {row.last_error}" for row in rows]
