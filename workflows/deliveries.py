"""Received webhooks: store each delivery once; a redelivery of a processed one is a duplicate."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from workflows.models import Delivery, DeliveryOutcome
from workflows.upsert import insert_for


def claim_delivery(
    *,
    session: Session,
    source: str,
    delivery_id: str,
    event: str,
    action: str | None,
    now: datetime,
) -> Delivery | None:
    """The stored delivery to process now, or None if this id was already handled.

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
    table = Delivery.__table__  # type: ignore[attr-defined]
    insert = insert_for(session, table).values(**values).on_conflict_do_nothing()
    inserted = session.connection().execute(insert.returning(table.c.id)).first() is not None
    query = select(Delivery).where(Delivery.source == source, Delivery.delivery_id == delivery_id)
    stored = session.exec(query.execution_options(populate_existing=True)).one()
    if inserted or stored.outcome is DeliveryOutcome.FAILED:
        return stored
    return None


def finish_delivery(
    *, session: Session, delivery: Delivery, outcome: DeliveryOutcome, detail: str | None
) -> None:
    """Record what became of a delivery (in the caller's transaction)."""
    delivery.outcome = outcome
    delivery.detail = detail
    session.add(delivery)
