"""`/setup`: register controlbot as a GitHub App through GitHub's manifest flow (api-contracts §3).

`GET /setup` posts `app.yml`, its URLs filled from `public_url`, to GitHub; GitHub redirects to
`GET /setup/callback?code=&state=`, which trades the code for the App's credentials and stores them
0600 in `github_credentials_file`. No key or secret is ever shown or logged.

CSRF: the form carries a random `state` that GitHub hands back; the callback accepts it only if it
matches the state in a cookie signed with HMAC-SHA256 under a key drawn per process by `secrets`
(itsdangerous is not a dependency). A restart, or a callback landing on another worker process,
therefore invalidates a setup in progress: the user starts again at `/setup`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import time
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote, urlsplit

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.credentials import (
    AlreadyConfigured,
    CredentialsError,
    GitHubAppConfig,
    github_app_config,
    save_credentials,
)
from bot.settings import Settings
from integrations.errors import TrackerRejected, TrackerUnavailable
from integrations.github.manifest import EXPIRED, AppCredentials, convert_manifest_code

log = logging.getLogger(__name__)
router = APIRouter(tags=["setup"])

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "app.yml"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATE_COOKIE = "controlbot_setup_state"
STATE_TTL = 3600  # GitHub's manifest flow must finish within one hour
_STATE_KEY = secrets.token_bytes(32)  # per process; see the module docstring
_ORG_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
_START_AGAIN = "Start again from the setup page."


def web_url(api_url: str) -> str:
    """GitHub's web host for an API URL: api.github.com -> github.com, HOST/api/v3 -> HOST."""
    base = api_url.rstrip("/")
    parts = urlsplit(base)
    if parts.hostname == "api.github.com":
        return f"{parts.scheme}://github.com"
    return base.removesuffix("/api/v3")


def app_url(api_url: str, slug: str) -> str:
    """The App's public page (GitHub Enterprise Server serves Apps under /github-apps/)."""
    prefix = "github-apps" if api_url.rstrip("/").endswith("/api/v3") else "apps"
    return f"{web_url(api_url)}/{prefix}/{quote(slug, safe='')}"


def manifest(settings: Settings, path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """`app.yml` with its URLs pointing at this service's `public_url`."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a mapping")
    base = settings.public_url.rstrip("/")
    hooks = data.get("hook_attributes")
    data["url"] = base
    data["hook_attributes"] = {**(hooks if isinstance(hooks, dict) else {}), "active": True}
    data["hook_attributes"]["url"] = f"{base}/webhooks/github"
    data["redirect_url"] = f"{base}/setup/callback"
    data["setup_url"] = f"{base}/setup"
    return data


def form_action(api_url: str, state: str, org: str | None = None) -> str:
    """Where the browser posts the manifest: the user's or the organisation's new-App form."""
    owner = f"/organizations/{quote(org, safe='')}" if org else ""
    return f"{web_url(api_url)}{owner}/settings/apps/new?state={quote(state, safe='')}"


def sign_state(state: str, issued: int) -> str:
    """The cookie value binding `state` to its issue time."""
    return f"{state}.{issued}.{_mac(f'{state}.{issued}')}"


def state_matches(cookie: str | None, state: str | None, now: float) -> bool:
    """Whether the callback's `state` is the one this process issued to this browser < 1 h ago."""
    if not cookie or not state:
        return False
    try:
        issued_state, issued, mac = cookie.split(".")
        age = now - int(issued)
    except ValueError:
        return False
    if not hmac.compare_digest(mac, _mac(f"{issued_state}.{issued}")):
        return False
    return 0 <= age <= STATE_TTL and hmac.compare_digest(issued_state, state)


def _mac(message: str) -> str:
    """HMAC-SHA256 of `message` under the per-process key."""
    return hmac.new(_STATE_KEY, message.encode("utf-8"), hashlib.sha256).hexdigest()


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request, org: str | None = None) -> HTMLResponse:
    """The setup page: a form posting the manifest to GitHub, or 'already configured'."""
    settings: Settings = request.app.state.settings
    try:
        config = github_app_config(settings)
    except CredentialsError as exc:
        return _error(503, "Setup unavailable", str(exc), "Fix the file, then reload this page.")
    if config is not None:
        return _configured(config, settings)
    if org is not None and not _ORG_NAME.match(org):
        return _error(400, "Bad organisation", "That is not a GitHub organisation name.", "")
    try:
        data = manifest(settings)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        log.error("setup: cannot read the App manifest %s (%s)", MANIFEST_PATH, type(exc).__name__)
        return _error(
            503, "Setup unavailable", f"Cannot read the App manifest {MANIFEST_PATH}.", ""
        )
    state = secrets.token_urlsafe(32)
    base = settings.public_url.rstrip("/")
    content = _render(
        "setup_form.html",
        owner_label=f"owned by the organisation {org}" if org else "owned by your account",
        callback_url=data["redirect_url"],
        credentials_file=str(settings.github_credentials_file),
        warning=_local_warning(base),
        action=form_action(settings.github_api_url, state, org),
        manifest_json=json.dumps(data, separators=(",", ":")),
        manifest_pretty=json.dumps(data, indent=2),
    )
    response = _page(200, "Set up the GitHub App", content)
    response.set_cookie(
        STATE_COOKIE,
        sign_state(state, int(time.time())),
        max_age=STATE_TTL,
        path="/setup",
        secure=base.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/setup/callback", response_class=HTMLResponse)
def setup_callback(
    request: Request, code: str | None = None, state: str | None = None
) -> HTMLResponse:
    """GitHub's redirect: check the state, trade the code for credentials, store them 0600."""
    settings: Settings = request.app.state.settings
    if not state_matches(request.cookies.get(STATE_COOKIE), state, time.time()):
        log.warning("setup: callback with a missing, stale or foreign state refused")
        return _error(
            400, "Setup refused", "This answer does not belong to a setup started here, "
            "or it is more than an hour old.", _START_AGAIN,
        )  # fmt: skip
    if not code:
        return _error(400, "Setup refused", "GitHub's answer carries no code.", _START_AGAIN)
    try:
        config = github_app_config(settings)
    except CredentialsError as exc:
        return _error(503, "Setup unavailable", str(exc), "Fix the file, then start again.")
    path = settings.github_credentials_file
    if config is not None or path.exists():
        return _error(409, "Already set up", "controlbot already has a GitHub App.", "")
    if not os.access(path.parent, os.W_OK):
        return _error(
            503, "Setup unavailable", f"Cannot write {path}: its directory is not writable.",
            "Fix CONTROLBOT_GITHUB_CREDENTIALS_FILE or the permissions, then reload this page.",
        )  # fmt: skip
    try:
        creds = convert_manifest_code(code, base_url=settings.github_api_url)
    except TrackerRejected as exc:
        log.warning("setup: GitHub refused the manifest code")
        if str(exc) == EXPIRED:
            return _error(
                400, "Setup code expired", "GitHub says this setup code expired (codes last "
                "one hour) or was already used.", _START_AGAIN,
            )  # fmt: skip
        return _error(502, "GitHub refused the setup", str(exc), _START_AGAIN)
    except TrackerUnavailable as exc:
        log.warning(
            "setup: GitHub unreachable for the manifest conversion (%s)", type(exc).__name__
        )
        return _error(
            502, "GitHub unreachable", f"GitHub at {settings.github_api_url} did not answer.",
            "Reload this page to try again within the hour.",
        )  # fmt: skip
    try:
        save_credentials(path, _config(creds, settings))
    except AlreadyConfigured:
        return _unsaved(409, creds, "another setup finished first")
    except OSError as exc:
        log.error("setup: cannot write %s (%s)", path, exc.strerror or type(exc).__name__)
        return _unsaved(503, creds, f"{path} could not be written ({exc.strerror or 'error'})")
    log.info(
        "setup: GitHub App %s (id %s) created; credentials saved to %s", creds.slug, creds.id, path
    )
    content = _render(
        "setup_done.html",
        name=creds.slug,
        app_id=str(creds.id),
        html_url=creds.html_url,
        install_url=f"{creds.html_url}/installations/new",
        credentials_file=str(path),
    )
    response = _page(200, "GitHub App created", content)
    response.delete_cookie(STATE_COOKIE, path="/setup")
    return response


def _config(creds: AppCredentials, settings: Settings) -> GitHubAppConfig:
    """The stored form of a new App's credentials."""
    return GitHubAppConfig(
        app_id=creds.id,
        slug=creds.slug,
        private_key_pem=creds.pem,
        webhook_secret=creds.webhook_secret or None,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        api_url=settings.github_api_url,
    )


def _unsaved(status: int, creds: AppCredentials, why: str) -> HTMLResponse:
    """GitHub created an App whose credentials could not be kept: say how to recover."""
    return _error(
        status, "Credentials not saved", f"GitHub created the App {creds.html_url}, but {why}.",
        "Delete that App in its GitHub settings (or generate a new private key and secrets there "
        "and set the CONTROLBOT_GITHUB_* settings), then start again.",
    )  # fmt: skip


def _configured(config: GitHubAppConfig, settings: Settings) -> HTMLResponse:
    """The page for an App that is already set up: names and links only, never secrets."""
    url = app_url(config.api_url, config.slug)
    content = _render(
        "setup_configured.html",
        slug=config.slug,
        app_id=str(config.app_id),
        app_url=url,
        install_url=f"{url}/installations/new",
        credentials_file=str(settings.github_credentials_file),
    )
    return _page(200, "GitHub App already set up", content)


def _local_warning(base: str) -> str:
    """A note when GitHub cannot reach `public_url`, as HTML; empty otherwise."""
    if (urlsplit(base).hostname or "") not in _LOCAL_HOSTS:
        return ""
    text = (
        f"public_url is {base}: GitHub cannot deliver webhooks there. Set CONTROLBOT_PUBLIC_URL "
        "to an address GitHub can reach (or a webhook proxy such as smee.io) first."
    )
    return f'<p class="note">{html.escape(text)}</p>'


def _error(status: int, title: str, message: str, hint: str) -> HTMLResponse:
    """An error page."""
    content = _render("setup_error.html", message=message, hint=hint, setup_path="/setup")
    return _page(status, title, content)


def _render(template: str, /, **values: str) -> str:
    """A template from bot/templates with every value HTML-escaped (raw HTML: `warning`)."""
    raw = {"warning"}
    safe = {key: value if key in raw else html.escape(value) for key, value in values.items()}
    return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(safe)


def _page(status: int, title: str, content: str) -> HTMLResponse:
    """The layout around `content`, never cached (the page carries a one-time state)."""
    body = Template((TEMPLATES / "layout.html").read_text(encoding="utf-8")).substitute(
        title=html.escape(title), content=content
    )
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return HTMLResponse(body, status_code=status, headers=headers)
