"""The FastAPI app of the fake Jira: auth, scheduled faults, request log and the routers."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import routes_issues, routes_meta, routes_people, routes_search, routes_workflow
from .models import Fault, JiraHTTPError
from .state import FakeJira

API_PREFIXES = ("/rest/api/2", "/rest/api/3", "/rest/api/latest")
FAULT_MESSAGES = {
    429: "Rate limit exceeded.",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _error(status: int, messages: list[str], headers: dict[str, str] | None = None) -> Response:
    """A Jira-shaped error response."""
    body = {"errorMessages": messages, "errors": {}}
    return JSONResponse(body, status_code=status, headers=headers)


def _authorised(fake: FakeJira, header: str) -> bool:
    """Cloud takes basic email:token; Data Center takes `Bearer <PAT>`."""
    if fake.is_cloud:
        token = base64.b64encode(f"{fake.email}:{fake.api_token}".encode()).decode()
        return hmac.compare_digest(header, f"Basic {token}")
    return hmac.compare_digest(header, f"Bearer {fake.pat}")


def _unauthorised(fake: FakeJira) -> Response:
    """The 401 for missing or wrong credentials."""
    if fake.is_cloud:
        headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
    else:
        headers = {
            "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
            "WWW-Authenticate": "OAuth realm",
        }
    return _error(401, ["Client must be authenticated to access this resource."], headers)


def _fault_response(fake: FakeJira, fault: Fault) -> Response:
    """The answer for a scheduled 429 or 5xx, with Retry-After and rate-limit headers."""
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.status == 429:
        reset = fake.clock() + timedelta(seconds=fault.retry_after or 1)
        headers |= {
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based",
        }
    message = FAULT_MESSAGES.get(fault.status, "Error")
    return _error(fault.status, [message], headers)


def _install_gate(app: FastAPI, fake: FakeJira) -> None:
    """Log every request, check credentials, then play scheduled faults."""

    @app.middleware("http")
    async def gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Auth, faults and the request log around every route."""
        path = request.url.path
        if not _authorised(fake, request.headers.get("authorization", "")):
            response = _unauthorised(fake)
        elif fault := fake.take_fault(path):
            response = _fault_response(fake, fault)
        else:
            response = await call_next(request)
        fake.record(request.method, path, request.url.query, response.status_code)
        return response


def _install_errors(app: FastAPI) -> None:
    """Answer errors in Jira's `{errorMessages, errors}` shape."""

    @app.exception_handler(JiraHTTPError)
    async def jira_error(request: Request, exc: JiraHTTPError) -> Response:
        """A domain error raised by the fake."""
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown routes and methods."""
        return _error(exc.status_code, [f"null for uri: {request.url}"])


def create_fake_jira_app(fake: FakeJira) -> FastAPI:
    """A FastAPI app serving `fake` under /rest/api/2, /3 and /latest."""
    app = FastAPI(title=f"fake Jira ({fake.mode})", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.fake = fake
    _install_errors(app)
    _install_gate(app, fake)
    for prefix in API_PREFIXES:
        for module in (routes_meta, routes_issues, routes_workflow, routes_search, routes_people):
            app.include_router(module.router, prefix=prefix)

    @app.get("/rest/applinks/latest/listApplicationlinks")
    async def application_links() -> Any:
        """Admin-only on a real site; the bot's user is not an admin."""
        raise JiraHTTPError(
            403, ["You do not have the permission to see the specified application links."]
        )

    return app
