"""The scheduler's daily review-opening job (kept apart so `bot.scheduler` stays small)."""

from __future__ import annotations

import logging

from sqlmodel import Session

log = logging.getLogger(__name__)

OPEN_REVIEWS = "open-reviews"
REVIEWS_GRACE = 6 * 3600


def open_reviews(runtime: str) -> int:
    """Job: open each recurring control's review whose period has begun; the drain files them."""
    from bot.scheduler import active_runtime  # NOTE: lazy: bot.scheduler imports this module
    from workflows.reviews import open_reviews as open_due_reviews

    found = active_runtime(runtime)
    if found is None:
        return 0
    with Session(found.engine, expire_on_commit=False) as session:
        run = open_due_reviews(session=session, now=found.clock())
    for problem in run.problems:
        log.warning("reviews: %s", problem)
    if run.opened:
        log.info("reviews: %d opened", len(run.opened))
    return len(run.opened)
