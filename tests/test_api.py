"""`/api/releases`: bearer auth, validation, local and GitHub-queued releases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from tests.conftest import NOW
from workflows.models import OutboxItem, WorkspaceKind
from workflows.releases import ensure_workspace

TOKEN = "s3cret-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(api_token=SecretStr(TOKEN)), engine=engine)) as result:
        yield result


def test_the_api_needs_the_token(client: TestClient, engine: Engine) -> None:
    body = {"name": "atlas", "version": "1"}
    assert client.post("/api/releases", json=body).status_code == 401
    wrong = client.post("/api/releases", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and TOKEN not in wrong.text
    with TestClient(create_app(Settings(), engine=engine)) as closed:
        answer = closed.post("/api/releases", json=body, headers=AUTH)
    assert answer.status_code == 401 and "CONTROLBOT_API_TOKEN" in answer.json()["detail"]


def test_a_local_release_is_created_at_once(client: TestClient) -> None:
    answer = client.post(
        "/api/releases", json={"name": "Atlas", "version": "2.0", "priority": "high"}, headers=AUTH
    )
    assert answer.status_code == 201
    assert answer.json() == {"release": "atlas-2.0", "tasks": 12, "status": "created"}
    again = client.post("/api/releases", json={"name": "Atlas", "version": "2.0"}, headers=AUTH)
    assert again.status_code == 409
    status = client.get("/api/releases/atlas-2.0", headers=AUTH).json()
    assert status["total"] == 12 and status["closed"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1"}, "name"),
        ({"name": "a", "version": "1", "repo": "not a repo"}, "repo"),
        ({"name": "a", "version": "1", "target_date": "31/12/2026"}, "target_date"),
        ({"name": "a", "version": "1", "priority": "urgent"}, "priority"),
        ({"name": "a", "version": "1", "surprise": True}, "surprise"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    answer = client.post("/api/releases", json=body, headers=AUTH)
    assert answer.status_code == 422
    assert field in {str(part) for error in answer.json()["detail"] for part in error["loc"]}


def test_a_github_release_is_queued_for_the_worker(client: TestClient, session: Session) -> None:
    ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="octo/atlas", now=NOW)
    answer = client.post(
        "/api/releases",
        json={"name": "Atlas", "version": "2.0", "repo": "octo/atlas"},
        headers=AUTH,
    )
    assert answer.status_code == 202 and answer.json()["release"] == "atlas-2.0"
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "start_release" and job.payload["actor"] == "api"


def test_unknown_repos_and_releases_are_404(client: TestClient) -> None:
    answer = client.post(
        "/api/releases", json={"name": "a", "version": "1", "repo": "nobody/none"}, headers=AUTH
    )
    assert answer.status_code == 404 and "not installed" in answer.json()["detail"]
    assert client.get("/api/releases/zeus", headers=AUTH).status_code == 404
