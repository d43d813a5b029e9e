"""Search routes: Cloud `search/jql` with nextPageToken, Data Center `search` with startAt/total."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import APIRouter, Request

from . import render_issue
from .deps import CtxDep, json_body, multi
from .models import JiraHTTPError
from .render import Ctx

router = APIRouter()
GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


async def _params(request: Request) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if request.method == "POST":
        return await json_body(request)
    params: dict[str, Any] = dict(request.query_params)
    params["fields"] = multi(request, "fields")
    return params


def _fields(params: dict[str, Any]) -> list[str]:
    """The requested fields as a flat list."""
    value = params.get("fields") or []
    return value.split(",") if isinstance(value, str) else [str(v) for v in value]


def _size(c: Ctx, params: dict[str, Any]) -> int:
    """The page size: maxResults (default 50) capped by the fake's page cap."""
    asked = int(params.get("maxResults") or 50)
    return max(1, min(asked, c.fake.page_cap))


def _digest(jql: str) -> str:
    """A short fingerprint of the query a token belongs to."""
    return hashlib.sha1(jql.encode(), usedforsecurity=False).hexdigest()[:8]


def _token(jql: str, offset: int) -> str:
    """An opaque page token bound to the query."""
    return base64.urlsafe_b64encode(f"{offset}:{_digest(jql)}".encode()).decode()


def _offset(jql: str, token: str | None) -> int:
    """The offset a page token stands for; 400 when it is not ours or not for this query."""
    if not token:
        return 0
    try:
        offset, digest = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if digest == _digest(jql):
            return int(offset)
    except ValueError:
        pass
    raise JiraHTTPError(400, ["The provided next page token is invalid or expired."])


def _require(c: Ctx, cloud: bool) -> None:
    """Cloud has only `search/jql` (classic search is 410 Gone); Data Center only `search`."""
    if c.fake.is_cloud and not cloud:
        raise JiraHTTPError(410, [GONE])
    if not c.fake.is_cloud and cloud:
        raise JiraHTTPError(404, [f"null for uri: {c.url('search/jql')}"])


@router.api_route("/search/jql", methods=["GET", "POST"])
async def enhanced_search(c: CtxDep, request: Request) -> dict[str, Any]:
    """Cloud search: `{issues, nextPageToken?, isLast}`; only ids unless `fields` is given."""
    _require(c, cloud=True)
    params = await _params(request)
    jql = str(params.get("jql") or "")
    found = c.fake.search(jql)
    start, size = _offset(jql, params.get("nextPageToken")), _size(c, params)
    requested = _fields(params)
    wanted = render_issue.field_filter(requested, default_all=False)
    page = found[start : start + size]
    if requested:
        issues = [render_issue.issue(c, i, wanted) for i in page]
    else:
        issues = [{"id": i.id} for i in page]
    result: dict[str, Any] = {"issues": issues, "isLast": start + size >= len(found)}
    if not result["isLast"]:
        result["nextPageToken"] = _token(jql, start + size)
    return result


@router.post("/search/approximate-count")
async def approximate_count(c: CtxDep, request: Request) -> dict[str, int]:
    """Cloud's approximate count of a JQL query."""
    _require(c, cloud=True)
    return {"count": len(c.fake.search(str((await json_body(request)).get("jql") or "")))}


@router.api_route("/search", methods=["GET", "POST"])
async def classic_search(c: CtxDep, request: Request) -> dict[str, Any]:
    """Data Center search with startAt/maxResults/total; 410 Gone on Cloud."""
    _require(c, cloud=False)
    params = await _params(request)
    found = c.fake.search(str(params.get("jql") or ""))
    start, size = int(params.get("startAt") or 0), _size(c, params)
    wanted = render_issue.field_filter(_fields(params))
    return {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": [render_issue.issue(c, i, wanted) for i in found[start : start + size]],
    }
