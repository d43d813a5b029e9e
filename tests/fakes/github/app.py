"""The FastAPI app serving a FakeGitHub at the root, like `https://api.github.com`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from . import (
    routes_app,
    routes_issues,
    routes_manifest,
    routes_oauth,
    routes_repos,
    routes_search,
    routes_threads,
)
from .fake import FakeGitHub
from .gate import Gate
from .http import GitHubError


def create_fake_github_app(fake: FakeGitHub) -> FastAPI:
    """Build the ASGI app; serve it with `serve_in_thread` and point PyGithub's base_url at it."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(GitHubError)
    async def github_error(request: Request, exc: GitHubError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def bad_path(request: Request, exc: RequestValidationError) -> JSONResponse:
        return GitHubError(404, "Not Found").response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = "Not Found" if exc.status_code == 404 else str(exc.detail)
        return GitHubError(exc.status_code, message).response()

    modules = (
        routes_app,
        routes_manifest,
        routes_oauth,
        routes_threads,
        routes_issues,
        routes_repos,
        routes_search,
    )
    for module in modules:
        app.include_router(module.router(fake))
    app.middleware("http")(Gate(fake))
    return app
