"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot import migrate
from bot.db import make_engine
from tests.support import pg_schema

PG_URL_ENV = "CONTROLBOT_TEST_DATABASE_URL"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _backends() -> list[str]:
    """SQLite always; PostgreSQL too when CONTROLBOT_TEST_DATABASE_URL is set."""
    return ["sqlite", "postgres"] if os.environ.get(PG_URL_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A URL to an empty database: a temp SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/controlbot.db"
        return
    with pg_schema(os.environ[PG_URL_ENV]) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    result = make_engine(db_url)
    migrate.upgrade(result)
    yield result
    result.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database."""
    with Session(engine, expire_on_commit=False) as result:
        yield result
