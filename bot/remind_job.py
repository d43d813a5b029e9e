"""The scheduler's reminder sweep job (kept apart so `bot.scheduler` stays small)."""

from __future__ import annotations

import logging

from sqlmodel import Session

log = logging.getLogger(__name__)

REMIND = "remind"
REMIND_GRACE_SECONDS = 1800


def remind(runtime: str) -> int:
    """Job: claim the due reminders and queue one digest per release; the drain sends them."""
    from bot.scheduler import active_runtime  # NOTE: lazy: bot.scheduler imports this module
    from workflows.remind import send_reminders

    found = active_runtime(runtime)
    if found is None:
        return 0
    with Session(found.engine, expire_on_commit=False) as session:
        digests = send_reminders(session=session, now=found.clock())
    if digests:
        log.info("reminders: %d digests queued", len(digests))
    return len(digests)
