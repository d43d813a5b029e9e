"""The REST API: tokens and scopes, workspace isolation on every route, validation, exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import Priority, resolve_catalog
from tests.conftest import NOW
from workflows.access import Scope, create_token, revoke_token
from workflows.models import OutboxItem, Release, StatusChange, WorkspaceKind
from workflows.planning import Selection
from workflows.releases import create_release, ensure_workspace

LEGACY = "s3cret-legacy-token"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(api_token=SecretStr(LEGACY)), engine=engine)) as result:
        yield result


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Two GitHub workspaces with one high-priority release each, and tokens of every kind."""
    catalog = resolve_catalog(None)
    made: dict[str, Any] = {}
    for key, repo in (("a", "acme/alpha"), ("b", "acme/beta")):
        ws = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name=repo, now=NOW)
        rel = create_release(
            session=session,
            workspace=ws,
            catalog=catalog,
            name="atlas" if key == "a" else "zeus",
            version="1.0",
            actor="seed",
            now=NOW,
            selection=Selection(priority=Priority.HIGH),
        )
        made[key] = rel.id
    session.commit()
    for name, scope, spaces in (
        ("reader-a", Scope.READ, ["acme/alpha"]),
        ("writer-a", Scope.WRITE, ["acme/alpha"]),
        ("writer-all", Scope.WRITE, []),
        ("reader-all", Scope.READ, []),
    ):
        made[name] = create_token(
            session=session, name=name, scope=scope, workspaces=spaces, now=NOW
        )[1]
    made["control"] = next(c.id for c in catalog.controls if c.priority is Priority.HIGH)
    return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_calls_without_a_good_token_are_401_and_never_echo_it(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    assert client.get("/api/releases").status_code == 401
    wrong = client.get("/api/releases", headers=bearer("cb_not-a-token"))
    assert wrong.status_code == 401 and "cb_not-a-token" not in wrong.text
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/releases", headers={"Authorization": "Basic eDp5"}).status_code == 401
    revoke_token(session=session, name="reader-all", now=NOW)
    assert client.get("/api/releases", headers=bearer(world["reader-all"])).status_code == 401


def test_an_expired_token_is_401(client: TestClient, session: Session) -> None:
    _row, secret = create_token(
        session=session,
        name="old",
        scope=Scope.READ,
        workspaces=[],
        now=NOW - timedelta(days=10),
        expires_at=NOW - timedelta(days=1),
    )
    assert client.get("/api/releases", headers=bearer(secret)).status_code == 401


def test_a_read_token_cannot_write(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["reader-all"])
    rel, control = world["a"], world["control"]
    writes = [
        ("post", "/api/releases", {"name": "n", "version": "1"}),
        ("patch", f"/api/releases/{rel}", {"target_date": "2027-01-01"}),
        ("post", f"/api/releases/{rel}/close", None),
        ("post", f"/api/releases/{rel}/tasks/{control}/status", {"status": "done"}),
        ("post", f"/api/releases/{rel}/tasks/{control}/evidence", {"url": "https://e.x/1"}),
    ]
    for method, path, body in writes:
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (method, path)
        assert "read" in answer.json()["detail"]


def _route_calls(rel: int, control: str) -> dict[tuple[str, str], tuple[str, Any]]:
    """One concrete call per API route, aimed at release `rel`."""
    return {
        ("GET", "/api/releases/{ref}"): (f"/api/releases/{rel}", None),
        ("PATCH", "/api/releases/{ref}"): (f"/api/releases/{rel}", {"target_date": "2027-01-01"}),
        ("POST", "/api/releases/{ref}/close"): (f"/api/releases/{rel}/close", None),
        ("GET", "/api/releases/{ref}/tasks"): (f"/api/releases/{rel}/tasks", None),
        ("GET", "/api/releases/{ref}/tasks/{control_id}"): (
            f"/api/releases/{rel}/tasks/{control}",
            None,
        ),
        ("POST", "/api/releases/{ref}/tasks/{control_id}/status"): (
            f"/api/releases/{rel}/tasks/{control}/status",
            {"status": "in_progress"},
        ),
        ("POST", "/api/releases/{ref}/tasks/{control_id}/evidence"): (
            f"/api/releases/{rel}/tasks/{control}/evidence",
            {"url": "https://evidence.example/run/1"},
        ),
        ("GET", "/api/releases/{ref}/report"): (f"/api/releases/{rel}/report?format=csv", None),
    }


def test_every_release_route_hides_another_workspace(
    client: TestClient, world: dict[str, Any], engine: Engine
) -> None:
    calls = _route_calls(world["b"], world["control"])
    paths = client.get("/openapi.json").json()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/releases/")
        for method in operations
    }
    assert routes == set(calls), "a new API route needs an isolation case here"
    headers = bearer(world["writer-a"])
    for (method, _), (path, body) in sorted(calls.items()):
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 404, (method, path, answer.text)
        assert "zeus" not in answer.text
    slug_path = "/api/releases/zeus-1.0"
    assert client.get(slug_path, headers=headers).status_code == 404
    listed = client.get("/api/releases", headers=headers).json()
    assert [r["slug"] for r in listed] == ["atlas-1.0"]
    with Session(engine) as session:  # nothing of B's was touched
        assert session.exec(select(StatusChange)).all() == []
        zeus = session.get(Release, world["b"])
        assert zeus is not None and zeus.target_date is None and zeus.state.value == "open"


def test_a_limited_token_cannot_open_a_local_release_or_another_repo(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = bearer(world["writer-a"])
    local = client.post("/api/releases", json={"name": "x", "version": "1"}, headers=headers)
    assert local.status_code == 403
    other = client.post(
        "/api/releases", json={"name": "x", "version": "1", "repo": "acme/beta"}, headers=headers
    )
    assert other.status_code == 404


def test_release_list_and_detail(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["reader-all"])
    listed = client.get("/api/releases", headers=headers).json()
    assert {r["slug"] for r in listed} == {"atlas-1.0", "zeus-1.0"}
    atlas = next(r for r in listed if r["slug"] == "atlas-1.0")
    assert atlas["workspace"] == "acme/alpha" and atlas["total"] == 12 and atlas["closed"] == 0
    detail = client.get("/api/releases/atlas-1.0", headers=headers).json()
    assert detail["id"] == world["a"] and len(detail["tasks"]) == 12
    assert detail["tasks"][0]["status"] == "todo"
    by_name = client.get("/api/releases/atlas", headers=headers)
    assert by_name.json()["id"] == world["a"]
    assert client.get("/api/releases/99999", headers=headers).status_code == 404
    assert client.get("/api/releases/99999999999999999999", headers=headers).status_code == 404
    assert client.get("/api/releases/%C2%B2", headers=headers).status_code == 404
    assert client.get("/api/releases?limit=0", headers=headers).status_code == 422
    assert client.get("/api/releases?state=finished", headers=headers).status_code == 422


def test_a_name_in_two_workspaces_asks_for_an_id(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    ws = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="acme/beta", now=NOW)
    create_release(
        session=session,
        workspace=ws,
        catalog=resolve_catalog(None),
        name="atlas",
        version="2.0",
        actor="seed",
        now=NOW,
    )
    session.commit()
    answer = client.get("/api/releases/atlas", headers=bearer(world["reader-all"]))
    assert answer.status_code == 409 and "use an id" in answer.json()["detail"]
    only_a = client.get("/api/releases/atlas", headers=bearer(world["reader-a"]))
    assert only_a.json()["id"] == world["a"]


def test_status_changes_need_a_justification_for_not_applicable(
    client: TestClient, world: dict[str, Any], engine: Engine
) -> None:
    headers = bearer(world["writer-a"])
    path = f"/api/releases/{world['a']}/tasks/{world['control'].lower()}/status"
    missing = client.post(path, json={"status": "not_applicable"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "justification"]
    done = client.post(
        path, json={"status": "not_applicable", "justification": "no such model"}, headers=headers
    )
    assert done.status_code == 200 and done.json()["changed"] is True
    assert done.json()["task"]["justification"] == "no such model"
    again = client.post(
        path, json={"status": "not_applicable", "justification": "no such model"}, headers=headers
    )
    assert again.json()["changed"] is False
    bad = client.post(path, json={"status": "finished"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "status"]
    history = client.get(path.removesuffix("/status"), headers=headers).json()["history"]
    assert [(h["to_status"], h["actor"], h["source"]) for h in history] == [
        ("not_applicable", "token:writer-a", "api")
    ]
    with Session(engine) as session:  # the GitHub checklist is asked to follow
        kinds = [o.kind for o in session.exec(select(OutboxItem)).all()]
    assert "checklist" in kinds


def test_an_impossible_move_is_409(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["writer-all"])
    path = f"/api/releases/{world['a']}/tasks/{world['control']}/status"
    client.post(path, json={"status": "not_applicable", "justification": "n/a"}, headers=headers)
    moved = client.post(path, json={"status": "blocked"}, headers=headers)
    assert moved.status_code == 409


def test_evidence_links_are_validated_and_added_once(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = bearer(world["writer-a"])
    path = f"/api/releases/{world['a']}/tasks/{world['control']}/evidence"
    bad = client.post(path, json={"url": "not a url"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "url"]
    first = client.post(path, json={"url": "https://evals.example/run/7"}, headers=headers)
    second = client.post(path, json={"url": "https://evals.example/run/7"}, headers=headers)
    assert first.json()["changed"] is True and second.json()["changed"] is False
    assert second.json()["task"]["evidence"] == ["https://evals.example/run/7"]
    missing = client.post(
        f"/api/releases/{world['a']}/tasks/XX-9.9/evidence",
        json={"url": "https://e.x/"},
        headers=headers,
    )
    assert missing.status_code == 404 and "XX-9.9" in missing.json()["detail"]


def test_tasks_can_be_filtered(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["writer-all"])
    base = f"/api/releases/{world['a']}/tasks"
    client.post(f"{base}/{world['control']}/status", json={"status": "done"}, headers=headers)
    done = client.get(f"{base}?status=done", headers=headers).json()
    assert [t["control_id"] for t in done] == [world["control"]]
    assert client.get(f"{base}?function=govern", headers=headers).status_code == 200
    assert client.get(f"{base}?priority=urgent", headers=headers).status_code == 422


def test_retarget_and_close(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["writer-a"])
    path = f"/api/releases/{world['a']}"
    bad = client.patch(path, json={"target_date": "31/12/2026"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "target_date"]
    moved = client.patch(path, json={"target_date": "2027-03-01"}, headers=headers).json()
    assert moved == {"release": "atlas-1.0", "target_date": "2027-03-01", "moved": 12}
    closed = client.post(f"{path}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    open_ = client.get("/api/releases?state=open", headers=headers).json()
    assert open_ == []


def test_reports_download_in_every_format(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["reader-a"])
    path = f"/api/releases/{world['a']}/report"
    answer = client.get(f"{path}?format=csv", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="atlas-1.0-report.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 12 and rows[0]["control_id"] == world["control"]
    oscal = json.loads(client.get(f"{path}?format=oscal", headers=headers).text)
    assert len(oscal["assessment-results"]["results"][0]["findings"]) == 12
    markdown = client.get(path, headers=headers)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "atlas" in markdown.text
    assert client.get(f"{path}?format=pdf", headers=headers).status_code == 422


def test_the_legacy_api_token_still_works(client: TestClient, world: dict[str, Any]) -> None:
    answer = client.get("/api/releases", headers=bearer(LEGACY))
    assert answer.status_code == 200 and len(answer.json()) == 2


def test_a_local_release_is_created_at_once(client: TestClient, world: dict[str, Any]) -> None:
    headers = bearer(world["writer-all"])
    body = {"name": "Atlas", "version": "2.0", "priority": "high"}
    answer = client.post("/api/releases", json=body, headers=headers)
    assert answer.status_code == 201
    assert answer.json()["release"] == "atlas-2.0" and answer.json()["tasks"] == 12
    again = client.post("/api/releases", json=body, headers=headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1"}, "name"),
        ({"name": "a", "version": "1", "repo": "not a repo"}, "repo"),
        ({"name": "a", "version": "1", "target_date": "31/12/2026"}, "target_date"),
        ({"name": "a", "version": "1", "target_date": "0001-01-01"}, "target_date"),
        ({"name": "a", "version": "1", "priority": "urgent"}, "priority"),
        ({"name": "a", "version": "1", "surprise": True}, "surprise"),
        ({"name": "a", "version": "\u0000"}, "version"),
        ({"name": "a\nb", "version": "1"}, "name"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    client: TestClient, world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/releases", json=body, headers=bearer(world["writer-all"]))
    assert answer.status_code == 422
    assert field in {str(part) for error in answer.json()["detail"] for part in error["loc"]}


def test_a_github_release_is_queued_for_the_worker(
    client: TestClient, world: dict[str, Any], engine: Engine
) -> None:
    body = {"name": "Atlas", "version": "3", "repo": "acme/alpha"}
    answer = client.post("/api/releases", json=body, headers=bearer(world["writer-a"]))
    assert answer.status_code == 202
    assert answer.json() == {"release": "atlas-3", "repo": "acme/alpha", "status": "queued"}
    with Session(engine) as session:
        jobs = session.exec(select(OutboxItem).where(OutboxItem.kind == "start_release")).all()
    assert len(jobs) == 1 and jobs[0].payload["actor"] == "token:writer-a"


def test_nul_characters_are_refused_before_they_reach_the_database(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = bearer(world["writer-all"])
    for path in ("/api/releases/a%00b", "/api/releases?state=%00", "/audit?actor=x%00"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 400 and "NUL" in answer.json()["detail"], path
    status = f"/api/releases/{world['a']}/tasks/{world['control']}/status"
    body = {"status": "not_applicable", "justification": "why\u0000not"}
    assert client.post(status, json=body, headers=headers).status_code == 422


def test_the_openapi_document_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/releases/{ref}/tasks/{control_id}/status" in paths
    assert "/api/releases/{ref}/report" in paths
    assert client.get("/docs").status_code == 200
