"""HTTP plumbing shared by the routes: GitHub-shaped errors, JSON bodies, Link pagination."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

DOCS_URL = "https://docs.github.com/rest"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30


class GitHubError(Exception):
    """An error answered as GitHub does: `{"message", "documentation_url", "status"}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str = DOCS_URL,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url

    def response(self) -> JSONResponse:
        """The JSON error response."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body |= {"documentation_url": self.documentation_url, "status": str(self.status)}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_found() -> GitHubError:
    """GitHub's plain 404, also used for resources the token may not see."""
    return GitHubError(404, "Not Found")


def validation_failed(resource: str, field: str, code: str, **extra: Any) -> GitHubError:
    """A 422 `Validation Failed` with one entry in `errors`."""
    error = {"resource": resource, "code": code, "field": field, **extra}
    return GitHubError(422, "Validation Failed", errors=[error])


def custom_invalid(resource: str, field: str, message: str) -> GitHubError:
    """A 422 whose single error has `code: custom` and a human message."""
    return validation_failed(resource, field, "custom", message=message)


async def json_body(request: Request) -> Any:
    """The parsed JSON body; `{}` when empty, 400 `Problems parsing JSON` when malformed."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise GitHubError(400, "Problems parsing JSON") from exc


async def json_object(request: Request) -> dict[str, Any]:
    """The JSON body, which must be an object."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise GitHubError(422, "Invalid request.\n\nBody must be an object.")
    return body


def base_url(request: Request) -> str:
    """The fake's own scheme://host:port, so every returned URL points back at it."""
    return str(request.base_url).rstrip("/")


def iso(ts: float | None) -> str | None:
    """Epoch seconds as GitHub's `2024-01-01T00:00:00Z`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """GitHub's ISO 8601 timestamp as epoch seconds."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _int_param(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except ValueError:
        return default


def paginate(
    request: Request,
    items: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    wrap: Callable[[list[Any]], Any] | None = None,
) -> Response:
    """One page of `items` with GitHub's `Link` header (per_page default 30, max 100)."""
    per_page = min(max(_int_param(request, "per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(_int_param(request, "page", 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = [render(item) for item in items[(page - 1) * per_page : page * per_page]]
    links = []
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links.append((1, "first"))
    headers = {}
    if links:
        headers["Link"] = ", ".join(
            f'<{request.url.include_query_params(page=n)}>; rel="{rel}"' for n, rel in links
        )
    body = wrap(chunk) if wrap else chunk
    return JSONResponse(body, headers=headers)
