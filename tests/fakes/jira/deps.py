"""Request helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from .models import JiraHTTPError
from .render import Ctx


def ctx(request: Request) -> Ctx:
    """The fake, this request's base URL and REST version (v3 only under /rest/api/3)."""
    api = "3" if request.url.path.startswith("/rest/api/3/") else "2"
    return Ctx(request.app.state.fake, str(request.base_url).rstrip("/"), api)


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object body, `{}` when empty, 400 when not JSON."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise JiraHTTPError(400, ["Unexpected character in the request body."]) from None
    if not isinstance(body, dict):
        raise JiraHTTPError(
            400, ["Can not deserialize instance of object out of START_ARRAY token"]
        )
    return body


def multi(request: Request, name: str) -> list[str]:
    """A query parameter given repeatedly and/or comma-separated."""
    return [v for item in request.query_params.getlist(name) for v in item.split(",") if v]


CtxDep = Annotated[Ctx, Depends(ctx)]
