"""`controlbot token ...` and the first-start admin link that `controlbot serve` prints."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from bot import migrate
from bot.cli import announce_admin_link
from bot.cli.state import CliState
from bot.db import make_engine
from bot.main import create_app
from bot.settings import Settings
from tests.cli import run_cli

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database that the CLI uses through CONTROLBOT_DATABASE_URL."""
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    return db_url


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=SecretStr(db_url))))


def test_a_token_is_printed_once_and_works(db: str, capsys: Capsys) -> None:
    made = run_cli(capsys, "token", "create", "--name", "ci", "--scope", "read")
    assert made.code == 0
    secret = made.out.split()[-1]
    assert secret.startswith("cb_") and len(secret) > 40
    listed = run_cli(capsys, "token", "list", "--format", "json")
    assert secret not in listed.out
    assert listed.json()[0] | {"created_at": None} == {
        "name": "ci",
        "prefix": secret[:10],
        "scope": "read",
        "workspaces": None,
        "state": "active",
        "created_at": None,
        "last_used_at": None,
        "expires_at": None,
    }
    with _client(db) as client:
        assert (
            client.get("/api/releases", headers={"Authorization": f"Bearer {secret}"}).json() == []
        )
        assert run_cli(capsys, "token", "revoke", "ci").out.strip() == "revoked token ci"
        gone = client.get("/api/releases", headers={"Authorization": f"Bearer {secret}"})
        assert gone.status_code == 401
    assert "revoked" in run_cli(capsys, "token", "list").out


def test_bad_token_requests_are_one_line_errors(db: str, capsys: Capsys) -> None:
    run_cli(capsys, "token", "create", "--name", "ci", "--scope", "write")
    again = run_cli(capsys, "token", "create", "--name", "ci", "--scope", "write")
    assert again.code == 1 and again.err.count("\n") == 1 and "exists" in again.err
    nowhere = run_cli(
        capsys, "token", "create", "--name", "x", "--scope", "read", "--workspace", "no/such"
    )
    assert nowhere.code == 1 and "no workspace named 'no/such'" in nowhere.err
    admin = run_cli(capsys, "token", "create", "--name", "y", "--scope", "admin")
    assert admin.code == 2
    missing = run_cli(capsys, "token", "revoke", "nobody")
    assert missing.code == 1 and "no token named 'nobody'" in missing.err


def test_a_fresh_install_prints_a_one_time_admin_link(
    db: str, capsys: Capsys, engine: Engine
) -> None:
    state = CliState(Settings(database_url=SecretStr(db), public_url="http://ctl.example"))
    announce_admin_link(state)
    printed = capsys.readouterr().out
    link = next(word for word in printed.split() if word.startswith("http://ctl.example/"))
    path = link.removeprefix("http://ctl.example")
    with _client(db) as client:
        first = client.get(path, follow_redirects=False)
        assert first.status_code == 303 and "controlbot_session" in first.cookies
        assert client.get("/api/releases").status_code == 200  # the admin session
        client.cookies.clear()
        second = client.get(path, follow_redirects=False)
        assert second.status_code == 401 and "used or has expired" in second.text
    run_cli(capsys, "token", "create", "--name", "ops", "--scope", "write")
    announce_admin_link(state)
    assert capsys.readouterr().out == ""  # a token exists: no more links
    state.close()
