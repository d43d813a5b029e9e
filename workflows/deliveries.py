"""Received webhooks: store each delivery once; a redelivery of a handled one is a duplicate.

The statements are built once per dialect and run with parameters: this is the webhook hot path,
and rebuilding a statement costs more than running it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from workflows.models import Delivery, DeliveryOutcome

TABLE = Delivery.__table__  # type: ignore[attr-defined]
_EXISTING = select(TABLE.c.id, TABLE.c.outcome).where(
    TABLE.c.source == bindparam("source"), TABLE.c.delivery_id == bindparam("delivery_id")
)
_FINISH = update(TABLE).where(TABLE.c.id == bindparam("row_id"))


@cache
def _insert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, in the dialect's own construct."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(TABLE).on_conflict_do_nothing().returning(TABLE.c.id)


def claim_delivery(
    *,
    session: Session,
    source: str,
    delivery_id: str,
    event: str,
    action: str | None,
    now: datetime,
) -> int | None:
    """The stored delivery's row id to process now, or None if this id was already handled.

    A delivery that failed earlier may be processed again when it is redelivered.
    """
    values = {
        "source": source,
        "delivery_id": delivery_id,
        "event": event,
        "action": action,
        "outcome": DeliveryOutcome.RECEIVED.value,
        "received_at": now,
    }
    connection = session.connection()
    inserted = connection.execute(_insert(connection.dialect.name), values).scalar()
    if inserted is not None:
        return int(inserted)
    keys = {"source": source, "delivery_id": delivery_id}
    existing = connection.execute(_EXISTING, keys).one()
    return int(existing.id) if existing.outcome == DeliveryOutcome.FAILED.value else None


def finish_delivery(
    *, session: Session, row_id: int, outcome: DeliveryOutcome, detail: str | None
) -> None:
    """Record what became of a delivery (in the caller's transaction)."""
    params = {"row_id": row_id, "outcome": outcome.value, "detail": detail}
    session.connection().execute(_FINISH, params)
