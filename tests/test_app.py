"""Health and readiness endpoints of the web app."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from bot import migrate
from bot.db import make_engine
from bot.main import create_app
from bot.settings import Settings


def test_healthz_and_readyz_on_a_migrated_database(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "schema": migrate.head_revision()}


def test_readyz_says_to_migrate_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with TestClient(create_app(Settings(), engine=engine)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "run controlbot db upgrade" in answer.json()["reason"]


def test_readyz_hides_the_database_url_when_unreachable() -> None:
    url = "postgresql+psycopg://bot:hunter2@127.0.0.1:1/none"
    settings = Settings(database_url=SecretStr(url))
    with TestClient(create_app(settings)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert "hunter2" not in answer.text


def test_settings_never_print_the_database_password() -> None:
    settings = Settings(database_url=SecretStr("postgresql+psycopg://bot:hunter2@db/prod"))
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    assert settings.database_url_safe() == "postgresql+psycopg://bot:***@db/prod"
