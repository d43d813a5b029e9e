"""A GitHub App's user sign-in: the OAuth web flow and the user's own endpoints.

`GET /login/oauth/authorize` stands for the browser page where the user clicks "Authorize": the
fake approves at once as `fake.oauth_login` and redirects back with a one-time code, which
`POST /login/oauth/access_token` trades for a `ghu_` user token. With that token, `GET /user`
and `GET /user/installations` answer as GitHub does.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from .access import caller_of
from .fake import FakeGitHub
from .http import GitHubError, base_url, paginate
from .render import installation_json, user_json


async def _fields(request: Request) -> dict[str, Any]:
    """The token request's fields: PyGithub posts JSON; others post a form or a query."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = await request.form()
    return {**dict(request.query_params), **{k: str(v) for k, v in form.items()}}


def router(fake: FakeGitHub) -> APIRouter:
    """The OAuth routes and `/user`, `/user/installations`."""
    api = APIRouter()

    @api.get("/login/oauth/authorize")
    async def authorize(client_id: str, redirect_uri: str, state: str = "") -> RedirectResponse:
        if client_id != fake.store.app.client_id or fake.oauth_login is None:
            raise GitHubError(404, "Not Found")
        code = secrets.token_hex(10)
        fake.store.oauth_codes[code] = fake.oauth_login
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @api.post("/login/oauth/access_token")
    async def access_token(request: Request) -> JSONResponse:
        fields = await _fields(request)
        right_client = fields.get("client_id") == fake.store.app.client_id
        right_secret = fake.client_secret is not None and fields.get("client_secret") == (
            fake.client_secret
        )
        login = fake.store.oauth_codes.pop(str(fields.get("code", "")), None)
        if not (right_client and right_secret) or login is None:  # GitHub answers 200 here
            return JSONResponse({"error": "bad_verification_code"})
        token = f"ghu_{secrets.token_hex(18)}"
        fake.store.user_tokens[token] = login
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": ""})

    @api.get("/user")
    async def user(request: Request) -> dict[str, Any]:
        login = caller_of(request).login
        if login is None:
            raise GitHubError(403, "Resource not accessible by integration")
        return user_json(base_url(request), fake.store.user(login))

    @api.get("/user/installations")
    async def installations(request: Request) -> Any:
        login = caller_of(request).login
        if login is None:
            raise GitHubError(403, "Resource not accessible by integration")
        seen = sorted(fake.store.user_installations.get(login, set()))
        found = [fake.store.installations[i] for i in seen if i in fake.store.installations]
        base = base_url(request)
        return paginate(
            request,
            found,
            lambda inst: installation_json(base, fake.store, inst),
            wrap=lambda page: {"total_count": len(found), "installations": page},
        )

    return api
