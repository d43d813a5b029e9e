"""Helpers several test modules share: PostgreSQL schemas, polling, settling the outbox."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, select

from workflows.jobs import TrackerFor, drain
from workflows.models import OutboxItem, OutboxState


@contextmanager
def pg_schema(base_url: str, prefix: str = "cb_test") -> Iterator[str]:
    """A URL into a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until the condition holds; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def settle_outbox(engine: Engine, tracker_for: TrackerFor, *, rounds: int = 10) -> None:
    """Drain the outbox until nothing is left to do, as the scheduler would; no job may die."""
    for _ in range(rounds):
        stats = drain(engine=engine, tracker_for=tracker_for, clock=lambda: datetime.now(UTC))
        assert stats.dead == 0, dead_jobs(engine)
        if stats.done == 0 and stats.retried == 0:
            return
    raise AssertionError("the outbox did not settle")


def dead_jobs(engine: Engine) -> list[str]:
    """Jobs that gave up, with their last error."""
    with Session(engine) as session:
        query = select(OutboxItem).where(OutboxItem.state == OutboxState.DEAD)
        return [f"{j.key}: {j.last_error}" for j in session.exec(query).all()]
