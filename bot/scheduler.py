"""The job scheduler: APScheduler 3, its job store in the app's database, run by the leader only.

Only the leader (`bot.leader`) builds a scheduler and writes the job list, since APScheduler 3
cannot share a job store; jobs are idempotent, so a brief overlap on a network split is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import make_engine
from bot.leader import Elector, make_elector
from bot.remind_job import REMIND, REMIND_GRACE_SECONDS, remind
from bot.review_job import OPEN_REVIEWS, REVIEWS_GRACE, open_reviews
from bot.settings import Settings
from integrations import TrackerError
from workflows.errors import WorkflowError
from workflows.jira_setup import reconcile_workspace
from workflows.jobs import Clock, TrackerFor, drain
from workflows.models import Workspace, WorkspaceKind, WorkspaceState

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
DRAIN_OUTBOX = "drain-outbox"
RECONCILE_JIRA = "reconcile-jira"
DRAIN_GRACE_SECONDS = 60
RECONCILE_GRACE_SECONDS = 300


def utcnow() -> datetime:
    """The wall clock in UTC, read at the edge and passed into workflows."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    """What the jobs of one scheduler need at run time (never pickled)."""

    engine: Engine
    tracker_for: TrackerFor
    clock: Clock
    is_leader: Callable[[], bool]
    drain_budget: float


_RUNTIMES: dict[str, Runtime] = {}


def active_runtime(key: str) -> Runtime | None:
    """The runtime of a job, if its scheduler still runs and leads in this process."""
    runtime = _RUNTIMES.get(key)
    if runtime is None or not runtime.is_leader():
        log.info("scheduler: skipping a job of an inactive scheduler (%s)", key)
        return None
    return runtime


def drain_outbox(runtime: str) -> None:
    """Job: run due outbox writes, again while there is work, for at most one interval."""
    found = active_runtime(runtime)
    if found is None:
        return
    deadline = time.monotonic() + found.drain_budget
    while found.is_leader():
        stats = drain(engine=found.engine, tracker_for=found.tracker_for, clock=found.clock)
        if stats.done + stats.retried + stats.dead == 0 or time.monotonic() >= deadline:
            return


def reconcile_jira(runtime: str) -> dict[str, str]:
    """Job: repair missed webhooks in every active Jira workspace; a failure skips only its own."""
    found = active_runtime(runtime)
    if found is None:
        return {}
    outcomes: dict[str, str] = {}
    with Session(found.engine, expire_on_commit=False) as session:
        workspaces = session.exec(
            select(Workspace)
            .where(Workspace.kind == WorkspaceKind.JIRA, Workspace.state == WorkspaceState.ACTIVE)
            .order_by(col(Workspace.id))
        ).all()
        for workspace in workspaces:
            outcomes[workspace.name] = _reconcile_one(session, workspace, found)
    return outcomes


def _reconcile_one(session: Session, workspace: Workspace, runtime: Runtime) -> str:
    """Reconcile one workspace; its tracker or workflow error is logged and reported."""
    name = workspace.name
    try:
        tracker = runtime.tracker_for(workspace)
        report = reconcile_workspace(
            session=session, workspace=workspace, tracker=tracker, now=runtime.clock()
        )
    except (TrackerError, WorkflowError) as exc:
        session.rollback()
        log.warning("reconcile of %s failed: %s: %s", name, type(exc).__name__, exc)
        return f"failed: {type(exc).__name__}: {exc}"
    session.commit()
    return f"{report.checked} checked, {len(report.changed)} changed, {len(report.missing)} missing"


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, function, trigger and how late it may still run."""

    id: str
    func: Callable[..., Any]
    trigger: IntervalTrigger
    misfire_grace_time: int


def job_specs(settings: Settings) -> list[JobSpec]:
    """The explicit job list; anything else found in the job store is removed."""
    return [
        JobSpec(
            DRAIN_OUTBOX,
            drain_outbox,
            IntervalTrigger(seconds=settings.worker_interval, timezone=UTC),
            DRAIN_GRACE_SECONDS,
        ),
        JobSpec(
            RECONCILE_JIRA,
            reconcile_jira,
            IntervalTrigger(minutes=settings.jira_reconcile_minutes, timezone=UTC),
            RECONCILE_GRACE_SECONDS,
        ),
        JobSpec(
            REMIND,
            remind,
            IntervalTrigger(minutes=settings.remind_minutes, timezone=UTC),
            REMIND_GRACE_SECONDS,
        ),
        JobSpec(OPEN_REVIEWS, open_reviews, IntervalTrigger(days=1, timezone=UTC), REVIEWS_GRACE),
    ]


class ControlScheduler:
    """Runs the jobs while this process leads; `start()` and `shutdown()` are idempotent."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        tracker_for: TrackerFor,
        elector: Elector,
        clock: Clock = utcnow,
    ) -> None:
        self.settings, self.engine, self.elector = settings, engine, elector
        self._key = uuid.uuid4().hex
        self._runtime = Runtime(
            engine=engine,
            tracker_for=tracker_for,
            clock=clock,
            is_leader=lambda: elector.is_leader,
            drain_budget=settings.worker_interval,
        )
        self._aps: BackgroundScheduler | None = None
        self._store_engine: Engine | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @property
    def is_leader(self) -> bool:
        """Whether this process leads (as of the last poll)."""
        return self.elector.is_leader

    @property
    def running_jobs(self) -> bool:
        """Whether the APScheduler is started (only ever while leading)."""
        return self._aps is not None

    def jobs(self) -> list[Any]:
        """The APScheduler jobs in the store, or none when this process does not lead."""
        aps = self._aps
        return list(aps.get_jobs()) if aps is not None else []

    def start(self) -> None:
        """Start the leader thread (it starts the jobs once this process leads)."""
        with self._lock:
            if self._thread is not None:
                return
            _RUNTIMES[self._key] = self._runtime
            self._stop.clear()
            self._thread = threading.Thread(target=self._lead, name="scheduler-leader", daemon=True)
            self._thread.start()

    def shutdown(self) -> None:
        """Stop the jobs (waiting for running ones), give up leadership and stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stop.set()
            thread.join()
            _RUNTIMES.pop(self._key, None)

    def _lead(self) -> None:
        """The leader loop: poll the election, start or stop the jobs to match."""
        try:
            while not self._stop.is_set():
                self._tick()
                self._stop.wait(self.settings.leader_retry_seconds)
        finally:
            self._stop_jobs(wait=True)
            self.elector.release()

    def _tick(self) -> None:
        """One poll of the election."""
        try:
            leading = self.elector.poll()
            if leading and self._aps is None:
                self._aps = self._start_jobs()
            elif not leading and self._aps is not None:
                log.warning("scheduler: leadership lost; stopping the jobs")
                self._stop_jobs(wait=False)
        except Exception:  # NOTE: loop edge: a dead leader thread could hold the lock, run nothing
            log.exception("scheduler: leader tick failed; retrying")

    def _start_jobs(self) -> BackgroundScheduler:
        """A fresh APScheduler on the job store, with exactly the job list, started."""
        aps = BackgroundScheduler(timezone=UTC, jobstores={"default": self._job_store()})
        specs = job_specs(self.settings)
        for spec in specs:
            aps.add_job(
                spec.func,
                trigger=spec.trigger,
                id=spec.id,
                name=spec.id,
                kwargs={"runtime": self._key},
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=spec.misfire_grace_time,
            )
        wanted = {spec.id for spec in specs}
        started = False
        try:
            aps.start(paused=True)
            for job in aps.get_jobs():
                if job.id not in wanted:
                    log.info("scheduler: removing job %s, no longer in the job list", job.id)
                    aps.remove_job(job.id)
            aps.resume()
            started = True
        finally:
            if not started:  # e.g. the job store's table could not be created: retry next tick
                self._aps = aps
                self._stop_jobs(wait=False)
        log.info("scheduler: leading; jobs %s started", ", ".join(sorted(wanted)))
        return aps

    def _job_store(self) -> SQLAlchemyJobStore:
        """The job store on the app's database, with an engine of its own (it disposes it)."""
        url = self.engine.url.render_as_string(hide_password=False)
        self._store_engine = make_engine(url)
        return SQLAlchemyJobStore(engine=self._store_engine, tablename=JOB_TABLE)

    def _stop_jobs(self, *, wait: bool) -> None:
        """Shut the APScheduler down, if it runs, and close its job store's connections."""
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=wait)
        if self._store_engine is not None:
            # NOTE: APScheduler's loop may query the store once more after disposing it; the
            # loop has stopped now, so this disposal is final.
            self._store_engine.dispose()
            self._store_engine = None


def build_scheduler(
    *, settings: Settings, engine: Engine, tracker_for: TrackerFor, clock: Clock = utcnow
) -> ControlScheduler:
    """The app's scheduler, electing its leader on the engine's database; nothing runs yet."""
    executors_log = logging.getLogger("apscheduler.executors.default")
    if executors_log.level == logging.NOTSET:  # it logs every run at INFO: every 2 s
        executors_log.setLevel(logging.WARNING)
    return ControlScheduler(
        settings=settings,
        engine=engine,
        tracker_for=tracker_for,
        elector=make_elector(engine),
        clock=clock,
    )
