"""Secrets never leak: a representative flow at DEBUG, every log record, answer and CLI output."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from bot.main import create_app
from bot.settings import Settings
from tests.cli import run_cli
from tests.conftest import NOW
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.jira.webhooks import post as jira_post
from tests.fakes.serving import serve_in_thread
from tests.faults.world import INSTALLATION, seed_repo
from tests.github_payloads import payload, post
from workflows.access import Scope, create_token

WEBHOOK_SECRET = "whsec-github-5b1c0e7d9a"
JIRA_WEBHOOK_SECRET = "whsec-jira-2f8e6a4c1b"
API_TOKEN = "api-token-7c3d9e1f0a"
JIRA_TOKEN = "jira-token-4e2a8b6c9d"
CLIENT_SECRET = "client-secret-9a7b5c3d1e"
DB_PASSWORD = "db-pass-6f4e2d0c8b"
REPO = "octo/secrets"


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    """One fake GitHub for the module."""
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    """The fake served on loopback."""
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


def _secrets(fake: FakeGitHub) -> list[str]:
    """Every secret value, and the PEM's body lines (a key leaks line by line too)."""
    pem_lines = [line for line in fake.private_key_pem.splitlines() if "-----" not in line]
    return [
        WEBHOOK_SECRET,
        JIRA_WEBHOOK_SECRET,
        API_TOKEN,
        JIRA_TOKEN,
        CLIENT_SECRET,
        DB_PASSWORD,
        *pem_lines[:3],
    ]


def _signed_in_pages(client: TestClient, engine: Engine, stored: list[str]) -> list[str]:
    """Sign in with a stored token and read the dashboard and the API; `stored` gets the secrets."""
    with Session(engine) as session:
        _row, token = create_token(
            session=session, name="leakcheck", scope=Scope.WRITE, workspaces=[], now=NOW
        )
    stored.append(token)
    answers = [client.post("/login", data={"token": token, "next": "/"}).text]
    stored.append(client.cookies.get("controlbot_session") or "no-cookie")
    for path in ("/", "/audit", "/login", "/api/releases", "/openapi.json"):
        answers.append(client.get(path).text)
    answers.append(client.get("/api/releases", headers={"Authorization": f"Bearer {token}"}).text)
    answers.append(client.post("/logout").text)
    return answers


def test_no_secret_in_logs_answers_or_cli_output(
    engine: Engine,
    fake: FakeGitHub,
    base: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake.reset()
    seed_repo(fake, REPO)
    caplog.set_level(logging.DEBUG)
    settings = Settings(
        github_webhook_secret=SecretStr(WEBHOOK_SECRET),
        github_app_id=fake.app_id,
        github_app_slug=fake.slug,
        github_private_key=SecretStr(fake.private_key_pem),
        github_client_secret=SecretStr(CLIENT_SECRET),
        github_api_url=base,
        github_write_interval=0.0,
        jira_url="http://127.0.0.1:9",
        jira_email="bot@example.com",
        jira_api_token=SecretStr(JIRA_TOKEN),
        jira_webhook_secret=SecretStr(JIRA_WEBHOOK_SECRET),
        api_token=SecretStr(API_TOKEN),
        github_credentials_file=tmp_path / "app.json",
    )
    seen: list[str] = []
    stored: list[str] = []  # a stored API token and a session cookie, minted below
    with TestClient(create_app(settings, engine=engine)) as client:
        install = payload("installation/created.payload.json", installation_id=INSTALLATION)
        for secret in (WEBHOOK_SECRET, "forged"):
            seen.append(post(client, "installation", install, secret=secret).text)
        comment = payload(
            "issue_comment/created.with-installation.payload.json",
            repo=REPO,
            number=1,
            installation_id=INSTALLATION,
            sender="mallory",
        )
        comment["comment"]["body"] = "/controls start Atlas 1.0"
        seen.append(post(client, "issue_comment", comment, secret=WEBHOOK_SECRET).text)
        seen.append(post(client, "issues", b"{not json", secret=WEBHOOK_SECRET).text)
        seen.append(jira_post(client, {"webhookEvent": "x"}, secret=JIRA_WEBHOOK_SECRET).text)
        seen.append(jira_post(client, {"webhookEvent": "x"}, secret="forged").text)
        for auth in (None, "Bearer wrong", f"Bearer {API_TOKEN}"):
            headers = {"Authorization": auth} if auth else {}
            seen.append(client.get("/api/releases/nope", headers=headers).text)
            seen.append(client.post("/api/releases", json={"x": 1}, headers=headers).text)
        seen += _signed_in_pages(client, engine, stored)
        seen.append(client.get("/setup").text)
        seen.append(client.get("/setup/callback", params={"code": fake.new_manifest_code()}).text)
        seen.append(client.get("/setup/callback", params={"code": "bogus"}).text)

    db_url = f"postgresql+psycopg://cb:{DB_PASSWORD}@127.0.0.1:9/none"
    for name, value in {
        "CONTROLBOT_DATABASE_URL": db_url,
        "CONTROLBOT_GITHUB_APP_ID": str(fake.app_id),
        "CONTROLBOT_GITHUB_PRIVATE_KEY": fake.private_key_pem,
        "CONTROLBOT_GITHUB_API_URL": base,
        "CONTROLBOT_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CONTROLBOT_API_TOKEN": API_TOKEN,
        "CONTROLBOT_JIRA_API_TOKEN": JIRA_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    for args in (
        ("release", "create", "--repo", REPO, "--name", "A", "--version", "1"),
        ("release", "create", "--repo", "nope", "--name", "A", "--version", "1"),
        ("outbox", "list"),
        ("db", "upgrade"),
        ("token", "list"),
        ("token", "list", "--format", "json"),
    ):
        result = run_cli(capsys, *args)
        seen += [result.out, result.err]

    logged = [r.getMessage() for r in caplog.records] + [caplog.text]
    minted = [s for s in (fake.webhook_secret, fake.client_secret) if s]
    assert len(stored) == 2 and "no-cookie" not in stored
    for secret in _secrets(fake) + minted + stored:
        for text in seen + logged:
            assert secret not in text, f"a secret leaked: ...{text[:300]}"
