"""User routes: `user/permission/search` (who holds a permission) and assigning an issue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from .deps import CtxDep, json_body
from .models import JiraHTTPError

router = APIRouter()


@router.get("/user/permission/search")
async def permission_search(c: CtxDep, request: Request) -> list[dict[str, Any]]:
    """Users holding `permissions` (only EDIT_ISSUES is modelled) on `issueKey` or `projectKey`."""
    params = request.query_params
    if not params.get("permissions"):
        raise JiraHTTPError(400, ["The permissions parameter is required."])
    if issue_key := params.get("issueKey"):
        c.fake.get_issue(issue_key)
    elif project_key := params.get("projectKey"):
        c.fake.get_project(project_key)
    else:
        raise JiraHTTPError(400, ["Either projectKey or issueKey must be given."])
    if params.get("permissions") != "EDIT_ISSUES":
        return []
    if c.fake.is_cloud:
        wanted, exact = params.get("accountId") or params.get("query") or "", True
    else:
        wanted, exact = params.get("username") or "", False
    if not wanted:
        raise JiraHTTPError(400, ["One of accountId or query is required."])
    return [c.fake.user_json(i, c.base) for i in c.fake.editors_matching(wanted, exact=exact)]


@router.put("/issue/{ref}/assignee")
async def assign(c: CtxDep, request: Request, ref: str) -> Response:
    """Assign (Cloud `accountId`, DC `name`; null unassigns): 204, 404 issue, 400 user."""
    c.fake.assign(ref, await json_body(request))
    return Response(status_code=204)
