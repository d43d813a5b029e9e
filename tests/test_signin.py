"""Signing in to the dashboard: a pasted token, GitHub (through the fake's OAuth flow), sign-out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from bot.main import create_app
from bot.settings import Settings
from control_catalog import Priority, resolve_catalog
from tests.conftest import NOW
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from workflows.access import Scope, create_token, revoke_token
from workflows.models import Workspace, WorkspaceKind
from workflows.planning import Selection
from workflows.releases import create_release


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture(scope="module")
def github_url(fake: FakeGitHub) -> Iterator[str]:
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@pytest.fixture
def two_installations(session: Session) -> dict[str, int]:
    """Workspaces for installations 11 (acme/alpha) and 22 (acme/beta), one release each."""
    ids: dict[str, int] = {}
    for installation, repo, name in ((11, "acme/alpha", "atlas"), (22, "acme/beta", "zeus")):
        ws = Workspace(
            kind=WorkspaceKind.GITHUB, name=repo, external_id=str(installation), created_at=NOW
        )
        session.add(ws)
        session.commit()
        release = create_release(
            session=session,
            workspace=ws,
            catalog=resolve_catalog(None),
            name=name,
            version="1",
            actor="seed",
            now=NOW,
            selection=Selection(priority=Priority.HIGH),
        )
        assert release.id is not None
        ids[name] = release.id
    session.commit()  # give the connection back before the app's engine is disposed
    return ids


def _sign_in(client: TestClient, token: str, next_: str = "/") -> Any:
    return client.post("/login", data={"token": token, "next": next_}, follow_redirects=False)


def test_a_token_signs_in_and_revoking_it_signs_out(engine: Engine, session: Session) -> None:
    _row, secret = create_token(
        session=session, name="alice", scope=Scope.READ, workspaces=[], now=NOW
    )
    with TestClient(create_app(Settings(), engine=engine)) as client:
        assert client.get("/api/releases").status_code == 401
        signed = _sign_in(client, secret, "/api/releases")
        assert signed.status_code == 303 and signed.headers["location"] == "/api/releases"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert client.get("/api/releases").status_code == 200
        revoke_token(session=session, name="alice", now=NOW)
        assert client.get("/api/releases").status_code == 401


def test_a_wrong_token_shows_the_form_again_without_echoing_it(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        answer = _sign_in(client, "cb_guess-123")
        assert answer.status_code == 401 and "unknown, revoked or expired" in answer.text
        assert "cb_guess-123" not in answer.text and "set-cookie" not in answer.headers


def test_sign_in_never_redirects_off_site(engine: Engine, session: Session) -> None:
    _row, secret = create_token(
        session=session, name="bob", scope=Scope.READ, workspaces=[], now=NOW
    )
    with TestClient(create_app(Settings(), engine=engine)) as client:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            client.cookies.clear()
            assert _sign_in(client, secret, target).headers["location"] == "/"


def test_sign_out_ends_the_session(engine: Engine, session: Session) -> None:
    _row, secret = create_token(
        session=session, name="carol", scope=Scope.READ, workspaces=[], now=NOW
    )
    with TestClient(create_app(Settings(), engine=engine)) as client:
        _sign_in(client, secret)
        stolen = dict(client.cookies)
        out = client.post("/logout", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        client.cookies.update(stolen)  # the old cookie no longer works either
        assert client.get("/api/releases").status_code == 401


def test_the_login_page_offers_github_only_when_the_app_can_sign_users_in(
    engine: Engine, tmp_path: Path
) -> None:
    plain = Settings(github_credentials_file=tmp_path / "none.json")
    with TestClient(create_app(plain, engine=engine)) as client:
        assert "Sign in with GitHub" not in client.get("/login").text
        assert client.get("/login/github", follow_redirects=False).status_code == 404


def _github_settings(fake: FakeGitHub, github_url: str, tmp_path: Path) -> Settings:
    fake.client_secret = "oauth-client-secret-value"
    return Settings(
        public_url="http://testserver",
        github_credentials_file=tmp_path / "none.json",
        github_app_id=fake.app_id,
        github_private_key=SecretStr(fake.private_key_pem),
        github_client_id=fake.store.app.client_id,
        github_client_secret=SecretStr(fake.client_secret),
        github_api_url=github_url,
    )


def test_github_sign_in_shows_only_the_users_installations(
    fake: FakeGitHub,
    github_url: str,
    engine: Engine,
    two_installations: dict[str, int],
    tmp_path: Path,
) -> None:
    fake.reset()
    fake.add_installation(11, "acme")
    fake.add_installation(22, "acme")
    fake.oauth_login = "octocat"
    fake.store.user_installations["octocat"] = {11}
    settings = _github_settings(fake, github_url, tmp_path)
    with TestClient(create_app(settings, engine=engine)) as client:
        assert "Sign in with GitHub" in client.get("/login").text
        start = client.get("/login/github?next=/api/releases", follow_redirects=False)
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert authorize.startswith(f"{github_url}/login/oauth/authorize?")
        back = requests.get(authorize, allow_redirects=False, timeout=10).headers["location"]
        query = parse_qs(urlsplit(back).query)
        forged = client.get(
            f"/login/github/callback?code={query['code'][0]}&state=forged", follow_redirects=False
        )
        assert forged.status_code == 400 and "set-cookie" not in forged.headers
        replay = requests.get(authorize, allow_redirects=False, timeout=10).headers["location"]
        done = client.get(
            urlsplit(replay).path + "?" + urlsplit(replay).query, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/api/releases"
        listed = client.get("/api/releases").json()
        assert [r["slug"] for r in listed] == ["atlas-1"]
        assert client.get(f"/api/releases/{two_installations['zeus']}").status_code == 404
        refused = client.post(f"/api/releases/{two_installations['atlas']}/close")
        assert refused.status_code == 403  # GitHub sign-in is read-only
        assert fake.client_secret not in client.get("/login").text


def test_a_refused_github_code_is_a_clear_page(
    fake: FakeGitHub, github_url: str, engine: Engine, tmp_path: Path
) -> None:
    fake.reset()
    settings = _github_settings(fake, github_url, tmp_path)
    with TestClient(create_app(settings, engine=engine)) as client:
        start = client.get("/login/github", follow_redirects=False)
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        answer = client.get(f"/login/github/callback?code=made-up&state={state}")
        assert answer.status_code == 502 and "did not confirm" in answer.text
