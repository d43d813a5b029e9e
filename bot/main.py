"""The FastAPI app factory: health, readiness and webhooks; the API and dashboard plug in here."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import api, dashboard, jira_webhooks, migrate, setup, signin, webhooks
from bot.access import SignInRequired, sign_in_redirect
from bot.db import make_engine, ping
from bot.nul_guard import NulGuard
from bot.scheduler import build_scheduler
from bot.settings import Settings, get_settings
from bot.trackers import TrackerRegistry
from bot.web import STATIC_DIR

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, run_worker: bool = False
) -> FastAPI:
    """Build the web app around one engine; `run_worker` also runs the job scheduler in it."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url.get_secret_value())
    registry = TrackerRegistry(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_worker:  # jobs run only in the process that wins the leader election
            scheduler = build_scheduler(
                settings=settings, engine=engine, tracker_for=registry.for_workspace
            )
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.shutdown()
        engine.dispose()

    app = FastAPI(title="controlbot", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.trackers = registry
    app.include_router(webhooks.router)
    app.include_router(jira_webhooks.router)
    app.include_router(api.router)
    app.include_router(setup.router)
    app.include_router(signin.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.add_middleware(NulGuard)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], response_model=None)
    def readyz() -> dict[str, str] | JSONResponse:
        """Readiness: the database answers and its schema is at the code's migration head."""
        return _readiness(engine)

    return app


def app_from_env() -> FastAPI:
    """The app as `serve --workers N` starts it in each process (settings from the environment).

    Every process starts a scheduler; the leader election (`bot.leader`) lets one run the jobs.
    """
    settings = get_settings()
    app = create_app(settings, run_worker=settings.run_worker)
    gc.freeze()  # start-up objects never need collecting: full collections stay short
    return app


def _readiness(engine: Engine) -> dict[str, str] | JSONResponse:
    """200 with the schema revision when ready, else 503 with a reason (never the URL)."""
    try:
        ping(engine)
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return _unready("database unreachable")
    head = migrate.head_revision()
    if current != head:
        return _unready(
            f"schema at {current or 'none'}, code needs {head}: run controlbot db upgrade"
        )
    return {"status": "ready", "database": "ok", "schema": current or ""}


def _unready(reason: str) -> JSONResponse:
    """A 503 answer with a reason."""
    return JSONResponse(status_code=503, content={"status": "unavailable", "reason": reason})
