"""Sign-in checks for the API and the dashboard: bearer tokens, session cookies, scopes.

API calls carry `Authorization: Bearer <token>` (or the dashboard's session cookie). Pages need
the session cookie; without one they redirect to `/login`. A read token that tries to write gets
403; a missing, unknown, revoked or expired token gets 401. No answer names a token's value.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from bot.settings import Settings
from workflows.access import ADMIN, Principal, session_principal, token_principal

SESSION_COOKIE = "controlbot_session"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class SignInRequired(Exception):
    """A page was asked for without a live session; the handler redirects to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in first")
        self.next_url = next_url


def sign_in_redirect(_request: Request, exc: Exception) -> RedirectResponse:
    """Send the browser to the sign-in page, remembering where it wanted to go."""
    target = exc.next_url if isinstance(exc, SignInRequired) else "/"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def now_utc() -> datetime:
    """The request's clock (the one place the web layer reads it)."""
    return datetime.now(UTC)


def cookie_principal(request: Request) -> Principal | None:
    """The principal of the request's session cookie, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with Session(request.app.state.engine) as session:
        return session_principal(session=session, cookie=cookie, now=now_utc())


def _bearer_principal(request: Request, given: str) -> Principal | None:
    """The principal of a bearer token: a stored token, or the legacy CONTROLBOT_API_TOKEN."""
    settings: Settings = request.app.state.settings
    legacy = settings.api_token
    if legacy is not None and hmac.compare_digest(
        given.encode(), legacy.get_secret_value().encode()
    ):
        return Principal(name="api", scope=ADMIN.scope, workspace_ids=None)
    with Session(request.app.state.engine) as session:
        return token_principal(session=session, secret=given, now=now_utc())


def api_principal(request: Request) -> Principal:
    """Who calls the API: a bearer token, else the dashboard's session cookie; else 401."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, given = header.partition(" ")
        found = _bearer_principal(request, given.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise HTTPException(401, "unknown, revoked or expired token", headers=_CHALLENGE)
        return found
    found = cookie_principal(request)
    if found is None:
        raise HTTPException(401, "sign in: send Authorization: Bearer <token>", headers=_CHALLENGE)
    return found


def write_principal(principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
    """Like `api_principal`, but a read-only caller gets 403."""
    if not principal.can_write:
        raise HTTPException(403, "this token can only read: create one with --scope write")
    return principal


def page_principal(request: Request) -> Principal:
    """Who looks at a page: the session cookie's principal, else a redirect to /login."""
    found = cookie_principal(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    request.state.principal = found
    return found


Reader = Annotated[Principal, Depends(api_principal)]
Writer = Annotated[Principal, Depends(write_principal)]
Viewer = Annotated[Principal, Depends(page_principal)]
