"""Webhook intake shared by GitHub and Jira: verify, dedupe, route, record; never a 500.

The request path only touches the database. Tracker writes go to the outbox.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import writer_lock
from bot.security import SignatureError, verify_signature
from workflows.deliveries import claim_delivery, finish_delivery
from workflows.models import DeliveryOutcome

log = logging.getLogger(__name__)


class IgnoredEvent(Exception):
    """The event is valid but there is nothing for controlbot to do; carries the reason."""


class BadPayload(Exception):
    """The payload lacks what the event needs (answered 400)."""


@dataclass(frozen=True)
class Handled:
    """A handler's answer: processed with a detail, or ignored with a reason."""

    processed: bool
    detail: str


@dataclass(frozen=True)
class Delivery:
    """One verified, parsed delivery."""

    source: str
    delivery_id: str
    event: str
    action: str | None
    payload: dict[str, Any]


Process = Callable[[Session, Delivery, datetime], Handled]


class BodyTooLarge(Exception):
    """The body is over the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def answer(code: int, /, **content: Any) -> JSONResponse:
    """A JSON answer with this HTTP status code."""
    return JSONResponse(status_code=code, content=content)


async def verified_payload(
    request: Request, *, secret: str | None, signature_header: str, limit: int
) -> dict[str, Any] | JSONResponse:
    """The verified JSON object of the request, or the error answer to send (401/400/413)."""
    try:
        body = await read_body(request, limit)
    except BodyTooLarge:
        return answer(413, detail=f"body over {limit} bytes")
    if not secret:
        return answer(401, detail="webhook secret not configured: deliveries cannot be verified")
    try:
        verify_signature(body, request.headers.get(signature_header), secret)
    except SignatureError as exc:
        return answer(401, detail=str(exc))
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return answer(400, detail="malformed JSON")
    if not isinstance(payload, dict):
        return answer(400, detail="expected a JSON object")
    return payload


def process(engine: Engine, delivery: Delivery, handler: Process) -> JSONResponse:
    """Store the delivery once, run its handler, record the outcome, answer fast."""
    now = datetime.now(UTC)
    with one_writer(engine), Session(engine, expire_on_commit=False) as session:
        stored = claim_delivery(
            session=session,
            source=delivery.source,
            delivery_id=delivery.delivery_id,
            event=delivery.event,
            action=delivery.action,
            now=now,
        )
        if stored is None:
            session.commit()
            return answer(200, status="duplicate", detail="this delivery was already handled")
        try:
            handled = handler(session, delivery, now)
        except IgnoredEvent as exc:
            handled = Handled(False, str(exc))
        except BadPayload as exc:
            _record_failure(session, delivery, now, str(exc))
            return answer(400, detail=f"malformed payload: {exc}")
        except Exception:  # NOTE: the HTTP edge: log it, keep the delivery for redelivery, no 500
            log.exception("webhook %s %s failed", delivery.source, delivery.delivery_id)
            _record_failure(session, delivery, now, "internal error")
            return answer(200, status="failed", detail="recorded; redeliver to retry")
        outcome = DeliveryOutcome.PROCESSED if handled.processed else DeliveryOutcome.IGNORED
        finish_delivery(session=session, row_id=stored, outcome=outcome, detail=handled.detail)
        session.commit()
    if handled.processed:
        return answer(202, status="processed", detail=handled.detail)
    return answer(200, status="ignored", detail=f"ignored: {handled.detail}")


@contextmanager
def one_writer(engine: Engine) -> Iterator[None]:
    """One delivery writing at a time on a SQLite file, across threads and processes.

    Threads queue on `writer_lock`; the processes of `serve --workers N` then queue on a `flock`
    of `<db>-writer.lock`, which wakes the next waiter as soon as the lock is free. Without it a
    process that found the file busy sleeps in SQLite's busy handler (up to 100 ms a try) while
    the other process's queued threads keep taking the lock. PostgreSQL: no lock.
    """
    with writer_lock(engine):
        path = _lock_path(engine)
        if path is None:
            yield
            return
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing the only descriptor releases the flock


def _lock_path(engine: Engine) -> str | None:
    """The writer lock file next to a SQLite database file; None for PostgreSQL or memory."""
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return None
    return None if url.query.get("mode") == "memory" else f"{database}-writer.lock"


def _record_failure(session: Session, delivery: Delivery, now: datetime, detail: str) -> None:
    """Undo the handler's work but keep the delivery, marked failed, so a redelivery retries."""
    session.rollback()
    stored = claim_delivery(
        session=session,
        source=delivery.source,
        delivery_id=delivery.delivery_id,
        event=delivery.event,
        action=delivery.action,
        now=now,
    )
    if stored is not None:
        finish_delivery(
            session=session, row_id=stored, outcome=DeliveryOutcome.FAILED, detail=detail
        )
    session.commit()
