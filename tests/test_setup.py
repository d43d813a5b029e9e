"""The GitHub App setup flow: manifest page, callback, 0600 file, env-over-file config."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from bot import setup
from bot.credentials import (
    AlreadyConfigured,
    CredentialsFileError,
    GitHubAppConfig,
    github_app_config,
    save_credentials,
    webhook_secret,
)
from bot.main import create_app
from bot.settings import Settings
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import free_port, serve_in_thread

PUBLIC = "https://bot.example.com"


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh(fake: FakeGitHub) -> None:
    fake.reset()


def settings_for(path: Path, api_url: str | None, **overrides: Any) -> Settings:
    """Settings isolated from the environment's GitHub App variables (api_url None: default)."""
    values: dict[str, Any] = {
        "public_url": PUBLIC,
        "github_credentials_file": path,
        "github_app_id": None,
        "github_private_key": None,
        "github_private_key_path": None,
        "github_webhook_secret": None,
        "github_client_id": None,
        "github_client_secret": None,
    }
    if api_url is not None:
        values["github_api_url"] = api_url
    return Settings(**(values | overrides))


def client_for(settings: Settings, engine: Engine) -> TestClient:
    """The real app, over https (the state cookie is Secure)."""
    app = create_app(settings, engine=engine)
    return TestClient(app, base_url="https://testserver")


class FormParser(HTMLParser):
    """Collects the form's action and its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action")
        elif tag == "input" and found.get("type") == "hidden":
            self.inputs[found["name"] or ""] = found.get("value") or ""


def start(client: TestClient, query: str = "") -> tuple[str, dict[str, Any], str]:
    """Open /setup; return the form's action, the posted manifest and the state."""
    page = client.get(f"/setup{query}")
    assert page.status_code == 200, page.text
    form = FormParser()
    form.feed(page.text)
    assert form.action is not None
    state = parse_qs(urlsplit(form.action).query)["state"][0]
    return form.action, json.loads(form.inputs["manifest"]), state


def test_page_posts_the_manifest_with_urls_from_public_url(
    base: str, engine: Engine, tmp_path: Path
) -> None:
    with client_for(settings_for(tmp_path / "app.json", base), engine) as client:
        action, manifest, state = start(client)
        page = client.get("/setup")
    assert action == f"{base}/settings/apps/new?state={state}" and len(state) >= 32
    assert manifest["url"] == PUBLIC
    assert manifest["hook_attributes"] == {"url": f"{PUBLIC}/webhooks/github", "active": True}
    assert manifest["redirect_url"] == f"{PUBLIC}/setup/callback"
    assert manifest["setup_url"] == f"{PUBLIC}/setup"
    assert (
        manifest["default_permissions"]["issues"] == "write"
        and "issues" in manifest["default_events"]
    )
    assert page.headers["cache-control"] == "no-store"
    assert "httponly" in page.headers["set-cookie"].lower()


def test_org_variant_posts_to_the_organisation_form(
    base: str, engine: Engine, tmp_path: Path
) -> None:
    with client_for(settings_for(tmp_path / "app.json", base), engine) as client:
        action, _, state = start(client, "?org=acme-labs")
        bad = client.get("/setup", params={"org": "acme/../x"})
    assert action == f"{base}/organizations/acme-labs/settings/apps/new?state={state}"
    assert bad.status_code == 400


def test_web_host_is_derived_from_the_api_url() -> None:
    assert setup.web_url("https://api.github.com") == "https://github.com"
    assert setup.web_url("https://ghe.corp.example/api/v3/") == "https://ghe.corp.example"
    assert setup.app_url("https://ghe.corp.example/api/v3", "cb") == (
        "https://ghe.corp.example/github-apps/cb"
    )
    assert setup.form_action("https://api.github.com", "s", "acme") == (
        "https://github.com/organizations/acme/settings/apps/new?state=s"
    )


def test_callback_refuses_a_wrong_missing_or_foreign_state(
    fake: FakeGitHub, base: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "app.json"
    code = fake.new_manifest_code()
    with client_for(settings_for(path, base), engine) as client:
        refused = [client.get("/setup/callback", params={"code": code})]
        _, _, state = start(client)
        refused.append(client.get("/setup/callback", params={"code": code, "state": "x" + state}))
        with client_for(settings_for(path, base), engine) as other:  # no cookie in this browser
            refused.append(other.get("/setup/callback", params={"code": code, "state": state}))
        refused.append(client.get("/setup/callback", params={"state": state}))  # no code
    assert [answer.status_code for answer in refused] == [400, 400, 400, 400]
    assert code in fake.manifest_codes and not path.exists()


def test_state_cookie_is_signed_and_expires() -> None:
    cookie = setup.sign_state("abc", 1000)
    assert setup.state_matches(cookie, "abc", 1000 + 60)
    assert not setup.state_matches(cookie, "abc", 1000 + setup.STATE_TTL + 1)
    assert not setup.state_matches(cookie.replace("abc", "abd"), "abd", 1060)
    assert not setup.state_matches("garbage", "abc", 1060)


def test_happy_path_saves_a_0600_file_and_never_shows_a_secret(
    fake: FakeGitHub, base: str, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "app.json"
    settings = settings_for(path, base)
    with client_for(settings, engine) as client:
        _, _, state = start(client)
        code = fake.new_manifest_code()
        done = client.get("/setup/callback", params={"code": code, "state": state})
        again = client.get("/setup")
    assert done.status_code == 200, done.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = github_app_config(settings)
    assert config is not None
    assert (config.app_id, config.slug, config.api_url) == (fake.app_id, fake.slug, base)
    assert config.private_key_pem == fake.private_key_pem
    assert config.webhook_secret == fake.webhook_secret == webhook_secret(settings)
    assert config.client_secret == fake.client_secret and config.client_id == f"Iv23{fake.app_id}"
    assert f"{base}/apps/{fake.slug}/installations/new" in done.text
    assert str(path) in done.text and "never shown" in done.text
    assert again.status_code == 200 and "<form" not in again.text and "already" in again.text
    secrets = [fake.private_key_pem, fake.webhook_secret, fake.client_secret]
    pem_body = fake.private_key_pem.splitlines()[1]
    for shown in (done.text, again.text, caplog.text, repr(config)):
        assert pem_body not in shown
        assert all(secret and secret not in shown for secret in secrets)


def test_a_used_code_is_a_400_and_a_second_setup_is_a_409(
    fake: FakeGitHub, base: str, engine: Engine, tmp_path: Path
) -> None:
    first, elsewhere = tmp_path / "first.json", tmp_path / "elsewhere.json"
    with (
        client_for(settings_for(first, base), engine) as one,
        client_for(settings_for(first, base), engine) as two,
        client_for(settings_for(elsewhere, base), engine) as three,
    ):
        states = [start(browser)[2] for browser in (one, two, three)]
        used, unused = fake.new_manifest_code(), fake.new_manifest_code()
        assert one.get("/setup/callback", params={"code": used, "state": states[0]}).is_success
        saved = first.read_bytes()
        conflict = two.get("/setup/callback", params={"code": unused, "state": states[1]})
        reused = three.get("/setup/callback", params={"code": used, "state": states[2]})
    assert conflict.status_code == 409 and unused in fake.manifest_codes
    assert reused.status_code == 400 and "expired" in reused.text and not elsewhere.exists()
    assert first.read_bytes() == saved


def test_github_unreachable_is_a_502(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    with client_for(settings_for(path, f"http://127.0.0.1:{free_port()}"), engine) as client:
        _, _, state = start(client)
        answer = client.get("/setup/callback", params={"code": "abc", "state": state})
    assert answer.status_code == 502 and "did not answer" in answer.text and not path.exists()


def config(app_id: int = 1, slug: str = "from-file") -> GitHubAppConfig:
    """Credentials as the setup flow stores them."""
    return GitHubAppConfig(
        app_id=app_id,
        slug=slug,
        private_key_pem="FILE-PEM",
        webhook_secret="file-hook",
        client_id="Iv-file",
        client_secret="file-client",
        api_url="https://ghe.corp.example/api/v3",
    )


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    save_credentials(path, config())
    with pytest.raises(AlreadyConfigured, match="already set up"):
        save_credentials(path, config(app_id=2))
    assert json.loads(path.read_text())["app_id"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["app.json"]  # no temp file left


def test_env_settings_win_over_the_file_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    assert github_app_config(settings_for(path, "https://api.github.com")) is None
    save_credentials(path, config())
    from_file = github_app_config(settings_for(path, None))
    assert from_file == config()  # api_url too: the default API URL does not override the file
    env = settings_for(
        path,
        "https://api.github.com",
        github_app_id=2,
        github_app_slug="env-slug",
        github_webhook_secret=SecretStr("env-hook"),
    )
    mixed = github_app_config(env)
    assert mixed is not None
    assert (mixed.app_id, mixed.slug, mixed.webhook_secret) == (2, "env-slug", "env-hook")
    assert (mixed.private_key_pem, mixed.client_secret) == ("FILE-PEM", "file-client")
    assert mixed.api_url == "https://api.github.com"
    assert webhook_secret(env) == "env-hook"
    assert webhook_secret(settings_for(path, "https://api.github.com")) == "file-hook"


@pytest.mark.parametrize(
    "content",
    [
        '{"app_id": 1, "private_key_pem": "-----BEGIN KEY-----\\nMIIsecret',
        '{"app_id": "MIIsecret"}',
    ],
)
def test_a_corrupt_file_is_a_clear_error_naming_it(
    content: str, base: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "app.json"
    path.write_text(content)
    settings = settings_for(path, base)
    with pytest.raises(CredentialsFileError) as caught:
        github_app_config(settings)
    assert str(path) in str(caught.value) and "MIIsecret" not in str(caught.value)
    with client_for(settings, engine) as client:
        page = client.get("/setup")
    assert page.status_code == 503 and str(path) in page.text and "MIIsecret" not in page.text


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.mkdir()
    with pytest.raises(CredentialsFileError, match="cannot read"):
        webhook_secret(settings_for(path, "https://api.github.com"))
