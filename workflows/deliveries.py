"""Received webhooks: store each delivery once; a redelivery of a handled one is a duplicate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from workflows.models import Delivery, DeliveryOutcome
from workflows.upsert import insert_for

TABLE = Delivery.__table__  # type: ignore[attr-defined]


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
    insert = insert_for(session, TABLE).values(**values).on_conflict_do_nothing()
    connection = session.connection()
    inserted = connection.execute(insert.returning(TABLE.c.id)).scalar()
    if inserted is not None:
        return int(inserted)
    existing = connection.execute(
        select(TABLE.c.id, TABLE.c.outcome).where(
            TABLE.c.source == source, TABLE.c.delivery_id == delivery_id
        )
    ).one()
    return int(existing.id) if existing.outcome == DeliveryOutcome.FAILED.value else None


def finish_delivery(
    *, session: Session, row_id: int, outcome: DeliveryOutcome, detail: str | None
) -> None:
    """Record what became of a delivery (in the caller's transaction)."""
    session.connection().execute(
        update(TABLE).where(TABLE.c.id == row_id).values(outcome=outcome.value, detail=detail)
    )
