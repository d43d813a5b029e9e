"""`controlbot scheduler`: run the job scheduler alone, for N web replicas plus one scheduler."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import typer

from bot.cli.state import CliState
from bot.scheduler import build_scheduler
from bot.trackers import TrackerRegistry


def run(ctx: typer.Context) -> None:
    """Run the scheduled jobs in the foreground until Ctrl-C or SIGTERM (leader only)."""
    state: CliState = ctx.obj
    engine = state.migrated_engine()
    logging.basicConfig(
        level=state.settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    scheduler = build_scheduler(
        settings=state.settings,
        engine=engine,
        tracker_for=TrackerRegistry(state.settings).for_workspace,
    )
    stop = threading.Event()

    def _request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    scheduler.start()
    print(
        f"scheduler on {state.settings.database_url_safe()}: jobs run while this process leads; "
        "Ctrl-C to stop",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("scheduler stopped", flush=True)
