"""Issue routes: create (single and bulk), get, edit, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from . import render_issue
from .deps import CtxDep, json_body, multi
from .models import Issue, JiraHTTPError
from .render import Ctx

router = APIRouter()
BULK_LIMIT = 50


def _created(c: Ctx, issue: Issue) -> dict[str, Any]:
    """The `{id, key, self}` a create answers with."""
    return {"id": issue.id, "key": issue.key, "self": c.url(f"issue/{issue.id}")}


def _ghost(c: Ctx) -> None:
    """After a ghost create the issue exists but the caller sees a 500."""
    if c.fake.take_ghost():
        raise JiraHTTPError(500, ["Internal server error"])


@router.post("/issue")
async def create_issue(c: CtxDep, request: Request) -> JSONResponse:
    """Create one issue: 201 `{id,key,self}` or 400 `{errors: {field: msg}}`."""
    body = await json_body(request)
    issue = c.fake.create_issue(body.get("fields") or {})
    _ghost(c)
    return JSONResponse(_created(c, issue), status_code=201)


@router.post("/issue/bulk")
async def create_issues(c: CtxDep, request: Request) -> JSONResponse:
    """Create up to 50 issues; failures are reported per element, 400 only if all fail."""
    updates = (await json_body(request)).get("issueUpdates") or []
    if len(updates) > BULK_LIMIT:
        msg = f"Too many issues in the request: {len(updates)}. The maximum is {BULK_LIMIT}."
        raise JiraHTTPError(400, [msg])
    issues: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, update in enumerate(updates):
        try:
            issues.append(_created(c, c.fake.create_issue(update.get("fields") or {})))
        except JiraHTTPError as exc:
            errors.append(
                {"status": exc.status, "elementErrors": exc.body(), "failedElementNumber": number}
            )
    _ghost(c)
    status = 201 if issues or not updates else 400
    return JSONResponse({"issues": issues, "errors": errors}, status_code=status)


@router.get("/issue/{ref}")
async def get_issue(c: CtxDep, request: Request, ref: str) -> dict[str, Any]:
    """One issue by key or id; `?fields=` picks fields."""
    issue = c.fake.get_issue(ref)
    return render_issue.issue(c, issue, render_issue.field_filter(multi(request, "fields")))


@router.put("/issue/{ref}")
async def edit_issue(c: CtxDep, request: Request, ref: str) -> Response:
    """Edit fields (`fields`) and apply operations (`update`); 204."""
    c.fake.edit_issue(ref, await json_body(request))
    return Response(status_code=204)


@router.delete("/issue/{ref}")
async def delete_issue(c: CtxDep, ref: str) -> Response:
    """Delete an issue; 204."""
    c.fake.delete_issue(ref)
    return Response(status_code=204)
