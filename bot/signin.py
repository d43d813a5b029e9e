"""Sign-in pages: paste an API token, use the one-time admin link, or sign in with GitHub.

GitHub sign-in runs the App's OAuth web flow and keeps only which installations the user can
see: their workspaces are all that user's session shows (read scope). The OAuth `state` is a
random value echoed in a short-lived cookie and compared in constant time on the way back.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from bot.access import SESSION_COOKIE, cookie_principal, now_utc
from bot.credentials import GitHubAppConfig, github_app_config
from bot.settings import Settings
from bot.web import page
from integrations.errors import TrackerError
from integrations.github.user_auth import GitHubUser, login_url, user_from_code
from workflows.access import (
    ADMIN,
    Principal,
    Scope,
    end_session,
    principal_of_token,
    redeem_admin_link,
    start_session,
    token_for_sign_in,
)
from workflows.models import Workspace, WorkspaceKind

log = logging.getLogger(__name__)
router = APIRouter(tags=["sign-in"], include_in_schema=False)
STATE_COOKIE = "controlbot_oauth_state"


def safe_next(target: str | None) -> str:
    """Only local paths may follow a sign-in (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _oauth_app(settings: Settings) -> GitHubAppConfig | None:
    """The GitHub App's config when it can sign users in (client id and secret known)."""
    config = github_app_config(settings)
    if config is None or not config.client_id or not config.client_secret:
        return None
    return config


def _signed_in(request: Request, cookie: str, target: str) -> RedirectResponse:
    """Redirect to `target` with the new session cookie set."""
    response = RedirectResponse(safe_next(target), status_code=303)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
        max_age=12 * 3600,
    )
    return response


def _login_page(request: Request, *, error: str | None, target: str, status: int) -> HTMLResponse:
    """The sign-in form, with a GitHub button when the App can sign users in."""
    github = _oauth_app(request.app.state.settings) is not None
    return page(
        request, "signin/login.html", status, error=error, next=safe_next(target), github=github
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """Show the sign-in form (or go straight on when already signed in)."""
    if cookie_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, error=None, target=next, status=200)


@router.post("/login", response_class=HTMLResponse)
def login_with_token(
    request: Request, token: Annotated[str, Form(max_length=200)] = "", next: str = Form("/")
) -> Response:
    """Sign in with an API token; the session lives as long as the token does (or 12 h)."""
    with Session(request.app.state.engine) as session:
        row = token_for_sign_in(session=session, secret=token.strip(), now=now_utc())
        if row is None:
            return _login_page(
                request, error="That token is unknown, revoked or expired.", target=next, status=401
            )
        cookie = start_session(
            session=session, principal=principal_of_token(row), now=now_utc(), token_id=row.id
        )
    return _signed_in(request, cookie, next)


@router.get("/login/once", response_class=HTMLResponse)
def login_once(request: Request, code: str = "") -> Response:
    """The one-time admin link `controlbot serve` prints on a fresh install."""
    with Session(request.app.state.engine) as session:
        if not code or not redeem_admin_link(session=session, code=code, now=now_utc()):
            return _login_page(
                request, error="That sign-in link was used or has expired.", target="/", status=401
            )
        cookie = start_session(session=session, principal=ADMIN, now=now_utc())
    return _signed_in(request, cookie, "/")


@router.get("/login/github")
def login_github(request: Request, next: str = "/") -> Response:
    """Start GitHub sign-in: off to GitHub with a fresh state value."""
    config = _oauth_app(request.app.state.settings)
    if config is None:
        return _login_page(
            request,
            error="GitHub sign-in needs the App's client id and secret.",
            target=next,
            status=404,
        )
    state = secrets.token_urlsafe(24)
    settings: Settings = request.app.state.settings
    assert config.client_id is not None and config.client_secret is not None
    url = login_url(
        api_url=config.api_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uri=settings.public_url.rstrip("/") + "/login/github/callback",
        state=state,
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE, f"{state}|{safe_next(next)}", httponly=True, samesite="lax", max_age=600
    )
    return response


@router.get("/login/github/callback", response_class=HTMLResponse)
def login_github_callback(request: Request, code: str = "", state: str = "") -> Response:
    """Back from GitHub: check the state, read the user's installations, open a session."""
    config = _oauth_app(request.app.state.settings)
    expected, _, target = request.cookies.get(STATE_COOKIE, "").partition("|")
    if config is None or not code or not expected or not hmac.compare_digest(expected, state):
        return _login_page(
            request, error="GitHub sign-in expired: try again.", target="/", status=400
        )
    assert config.client_id is not None and config.client_secret is not None
    try:
        user = user_from_code(
            api_url=config.api_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            code=code,
        )
    except TrackerError as exc:
        log.warning("GitHub sign-in failed: %s", type(exc).__name__)
        return _login_page(
            request, error="GitHub did not confirm the sign-in.", target="/", status=502
        )
    with Session(request.app.state.engine) as session:
        principal = _github_principal(session, user)
        cookie = start_session(session=session, principal=principal, now=now_utc())
    response = _signed_in(request, cookie, target)
    response.delete_cookie(STATE_COOKIE)
    return response


def _github_principal(session: Session, user: GitHubUser) -> Principal:
    """A GitHub user sees the workspaces of the installations GitHub says they can see."""
    ids = {str(i) for i in user.installation_ids}
    rows = session.exec(
        select(Workspace.id).where(
            Workspace.kind == WorkspaceKind.GITHUB, col(Workspace.external_id).in_(sorted(ids))
        )
    ).all()
    visible = frozenset(r for r in rows if r is not None)
    return Principal(name=f"github:{user.login}", scope=Scope.READ, workspace_ids=visible)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Sign out of this browser."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with Session(request.app.state.engine) as session:
            end_session(session=session, cookie=cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
