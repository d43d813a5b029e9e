"""The outbox: durable tracker writes done off the request path, coalesced, retried.

Two kinds of job:
- keyed jobs (`enqueue`): one row per key; enqueueing the key again re-arms it and bumps its
  version, and a worker that finishes an older version leaves it pending;
- view jobs (`enqueue_view`): "make the remote view match the database". Each change inserts
  its own row (no shared row, so concurrent webhooks never wait on each other's locks); the
  worker runs the newest row of a coalesce key and marks the older pending ones done, since
  their changes were committed before the claim and the run reads the database after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workflows.models import OutboxItem, OutboxState
from workflows.upsert import insert_for

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 5 s, 10 s, 20 s ... capped at one hour."""
    doubled: timedelta = BASE_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(doubled, MAX_BACKOFF)


def enqueue(
    *,
    session: Session,
    workspace_id: int,
    kind: str,
    key: str,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Ask for a write (in the caller's transaction); an existing job with this key is re-armed."""
    values = {
        "key": key,
        "workspace_id": workspace_id,
        "kind": kind,
        "payload": dict(payload or {}),
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "version": 1,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    table = OutboxItem.__table__  # type: ignore[attr-defined]
    insert = insert_for(session, table).values(**values)
    statement = insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "payload": values["payload"],
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "version": table.c.version + 1,
            "next_attempt_at": now,
            "last_error": None,
            "updated_at": now,
        },
    )
    session.connection().execute(statement)


def enqueue_view(
    *,
    session: Session,
    workspace_id: int,
    kind: str,
    coalesce_key: str,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Ask for a view refresh (in the caller's transaction): a plain insert, coalesced later."""
    values = {
        "key": f"{coalesce_key}#{uuid.uuid4().hex}",
        "coalesce_key": coalesce_key,
        "workspace_id": workspace_id,
        "kind": kind,
        "payload": dict(payload or {}),
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "version": 1,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    table = OutboxItem.__table__  # type: ignore[attr-defined]
    session.connection().execute(table.insert().values(**values))


def claim_due(*, session: Session, now: datetime, limit: int = 20) -> list[OutboxItem]:
    """Lease up to `limit` due jobs to this worker and commit; others skip them (SKIP LOCKED).

    Of several pending rows of one view, only the newest runs; the older ones are marked done.
    A view whose refresh is running right now waits, so two refreshes never race.
    """
    running = select(OutboxItem.coalesce_key).where(
        col(OutboxItem.claimed_until) >= now, col(OutboxItem.coalesce_key).is_not(None)
    )
    query = (
        select(OutboxItem)
        .where(
            OutboxItem.state == OutboxState.PENDING,
            col(OutboxItem.next_attempt_at) <= now,
            (col(OutboxItem.claimed_until).is_(None)) | (col(OutboxItem.claimed_until) < now),
            col(OutboxItem.coalesce_key).is_(None) | col(OutboxItem.coalesce_key).not_in(running),
        )
        .order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    items = _newest_per_view(session, list(session.exec(query).all()), now)
    for item in items:
        item.claimed_until = now + LEASE
        session.add(item)
    session.commit()
    return items


def _newest_per_view(session: Session, items: list[OutboxItem], now: datetime) -> list[OutboxItem]:
    """Keep one row per coalesce key (the newest) and mark the view's older pending rows done."""
    newest: dict[str, OutboxItem] = {}
    for item in items:
        if item.coalesce_key and item.id > getattr(newest.get(item.coalesce_key), "id", -1):  # type: ignore[operator]
            newest[item.coalesce_key] = item
    for key, keep in newest.items():
        session.execute(
            update(OutboxItem)
            .where(
                col(OutboxItem.coalesce_key) == key,
                col(OutboxItem.state) == OutboxState.PENDING,
                col(OutboxItem.id) < keep.id,
            )
            .values(state=OutboxState.DONE, last_error="coalesced", updated_at=now)
        )
    kept = {id(item) for item in newest.values()}
    return [i for i in items if i.coalesce_key is None or id(i) in kept]


def complete(*, session: Session, item: OutboxItem, now: datetime) -> bool:
    """Mark the job done unless it was re-armed meanwhile; True if it is now done."""
    result = session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item.id, col(OutboxItem.version) == item.version)
        .values(state=OutboxState.DONE, claimed_until=None, last_error=None, updated_at=now)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        _release_claim(session, item, now)
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail(
    *,
    session: Session,
    item: OutboxItem,
    error: str,
    now: datetime,
    retry_after: float | None = None,
    permanent: bool = False,
) -> OutboxState:
    """Record a failed attempt: retry later with back-off (or `retry_after`), or give up."""
    attempts = item.attempts + 1
    dead = permanent or attempts >= MAX_ATTEMPTS
    wait = timedelta(seconds=retry_after) if retry_after is not None else backoff(attempts)
    state = OutboxState.DEAD if dead else OutboxState.PENDING
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item.id)
        .values(
            attempts=attempts,
            state=state,
            next_attempt_at=now + wait,
            claimed_until=None,
            last_error=error[:2000],
            updated_at=now,
        )
    )
    session.commit()
    return state


def _release_claim(session: Session, item: OutboxItem, now: datetime) -> None:
    """Let a re-armed job run again at once."""
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item.id)
        .values(claimed_until=None, updated_at=now)
    )


def pending_count(*, session: Session) -> int:
    """How many jobs wait (for status pages and tests)."""
    query = select(func.count()).select_from(OutboxItem).where(col(OutboxItem.state) == "pending")
    return int(session.exec(query).one())
