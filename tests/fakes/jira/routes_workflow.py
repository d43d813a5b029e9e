"""Routes hanging off one issue: transitions, comments and remote links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from . import render, render_issue
from .deps import CtxDep, json_body
from .models import JiraHTTPError

router = APIRouter()


@router.get("/issue/{ref}/transitions")
async def transitions(c: CtxDep, request: Request, ref: str) -> dict[str, Any]:
    """Transitions available now, each with its `to` status; `expand=transitions.fields`."""
    issue, offered = c.fake.transitions_for(ref)
    wanted = request.query_params.get("transitionId")
    with_fields = "transitions.fields" in request.query_params.get("expand", "")
    items = [
        render_issue.transition(c, issue, t, with_fields=with_fields)
        for t in offered
        if wanted is None or t.id == wanted
    ]
    return {"expand": "transitions", "transitions": items}


@router.post("/issue/{ref}/transitions")
async def do_transition(c: CtxDep, request: Request, ref: str) -> Response:
    """Perform a transition (204), optionally with `fields.resolution` and `update.comment`."""
    c.fake.do_transition(ref, await json_body(request))
    return Response(status_code=204)


@router.get("/issue/{ref}/comment")
async def comments(c: CtxDep, ref: str) -> dict[str, Any]:
    """All comments of an issue."""
    return render.comment_page(c, c.fake.get_issue(ref))


@router.post("/issue/{ref}/comment")
async def add_comment(c: CtxDep, request: Request, ref: str) -> JSONResponse:
    """Add a comment (201)."""
    body = await json_body(request)
    comment = c.fake.add_comment(ref, body.get("body"))
    return JSONResponse(render.comment(c, c.fake.get_issue(ref), comment), status_code=201)


@router.get("/issue/{ref}/comment/{ident}")
async def get_comment(c: CtxDep, ref: str, ident: str) -> dict[str, Any]:
    """One comment."""
    issue = c.fake.get_issue(ref)
    for comment in issue.comments:
        if comment.id == ident:
            return render.comment(c, issue, comment)
    raise JiraHTTPError(404, [f"Can not find a comment for the id: {ident}."])


@router.get("/issue/{ref}/remotelink")
async def remote_links(c: CtxDep, request: Request, ref: str) -> Any:
    """An issue's remote links; `?globalId=` returns just that one."""
    issue = c.fake.get_issue(ref)
    global_id = request.query_params.get("globalId")
    if global_id is None:
        return [render.remote_link(c, issue, link) for link in issue.remote_links]
    for link in issue.remote_links:
        if link.global_id == global_id:
            return render.remote_link(c, issue, link)
    raise JiraHTTPError(404, ["No remote link with the given global ID."])


@router.post("/issue/{ref}/remotelink")
async def upsert_remote_link(c: CtxDep, request: Request, ref: str) -> JSONResponse:
    """Create (201) or, for a known `globalId`, update (200) a remote link; answers `{id, self}`."""
    issue = c.fake.get_issue(ref)
    link, created = c.fake.upsert_remote_link(ref, await json_body(request))
    body = {"id": link.id, "self": c.url(f"issue/{issue.key}/remotelink/{link.id}")}
    return JSONResponse(body, status_code=201 if created else 200)


@router.get("/issue/{ref}/remotelink/{ident}")
async def remote_link(c: CtxDep, ref: str, ident: str) -> dict[str, Any]:
    """One remote link."""
    issue = c.fake.get_issue(ref)
    for link in issue.remote_links:
        if str(link.id) == ident:
            return render.remote_link(c, issue, link)
    raise JiraHTTPError(404, [f"No remote link with id '{ident}'."])
