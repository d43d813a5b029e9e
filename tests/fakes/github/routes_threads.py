"""Comment, reaction and sub-issue endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from . import ops
from .access import acting_user, acts_as_app, comment_for, issue_for, repo_for
from .fake import FakeGitHub
from .http import base_url, json_object, not_found, paginate, parse_iso, validation_failed
from .render import REACTIONS, comment_json, issue_json, reaction_json
from .state import Comment, Reaction


def _body_text(body: dict[str, Any]) -> str:
    text = body.get("body")
    if not isinstance(text, str) or not text:
        raise validation_failed("IssueComment", "body", "missing_field")
    return text


def router(fake: FakeGitHub) -> APIRouter:
    """Routes for issue comments, their reactions, and sub-issues."""
    api = APIRouter()

    @api.patch("/repos/{owner}/{name}/issues/comments/{comment_id}")
    async def edit_comment(request: Request, owner: str, name: str, comment_id: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        comment = comment_for(repo, comment_id)
        comment.body = _body_text(await json_object(request))
        comment.updated_at = fake.now()
        return comment_json(base_url(request), fake.store, repo, comment)

    @api.get("/repos/{owner}/{name}/issues/comments/{comment_id}")
    async def get_comment(request: Request, owner: str, name: str, comment_id: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        return comment_json(base_url(request), fake.store, repo, comment_for(repo, comment_id))

    @api.delete("/repos/{owner}/{name}/issues/comments/{comment_id}")
    async def delete_comment(request: Request, owner: str, name: str, comment_id: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        comment_for(repo, comment_id)
        del repo.comments[comment_id]
        return Response(status_code=204)

    @api.post("/repos/{owner}/{name}/issues/comments/{comment_id}/reactions")
    async def react(request: Request, owner: str, name: str, comment_id: int) -> JSONResponse:
        repo = repo_for(fake, request, owner, name)
        comment = comment_for(repo, comment_id)
        content = (await json_object(request)).get("content")
        if content not in REACTIONS:
            raise validation_failed("Reaction", "content", "invalid", value=content)
        user, base = acting_user(fake, request), base_url(request)
        for existing in comment.reactions:
            if existing.content == content and existing.user.id == user.id:
                return JSONResponse(reaction_json(base, existing), status_code=200)
        reaction = Reaction(fake.store.next_id("reaction"), content, user, fake.now())
        comment.reactions.append(reaction)
        return JSONResponse(reaction_json(base, reaction), status_code=201)

    @api.get("/repos/{owner}/{name}/issues/comments/{comment_id}/reactions")
    async def list_reactions(request: Request, owner: str, name: str, comment_id: int) -> Any:
        comment = comment_for(repo_for(fake, request, owner, name), comment_id)
        base = base_url(request)
        return paginate(request, comment.reactions, lambda r: reaction_json(base, r))

    @api.post("/repos/{owner}/{name}/issues/{number}/comments")
    async def create_comment(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        issue = issue_for(repo, number)
        text, now = _body_text(await json_object(request)), fake.now()
        comment = Comment(
            id=fake.store.next_id("comment"),
            issue_number=issue.number,
            body=text,
            user=acting_user(fake, request),
            created_at=now,
            updated_at=now,
            via_app=acts_as_app(request),
        )
        repo.comments[comment.id] = comment
        fake.store.comment_index[comment.id] = repo.full_name.lower()
        issue.updated_at = now
        return JSONResponse(comment_json(base_url(request), fake.store, repo, comment), 201)

    @api.get("/repos/{owner}/{name}/issues/{number}/comments")
    async def list_comments(request: Request, owner: str, name: str, number: int) -> Response:
        repo = repo_for(fake, request, owner, name)
        issue = issue_for(repo, number)
        comments = [c for c in repo.comments.values() if c.issue_number == issue.number]
        if request.query_params.get("since"):
            since = parse_iso(request.query_params["since"])
            comments = [c for c in comments if c.updated_at >= since]
        base = base_url(request)
        return paginate(request, comments, lambda c: comment_json(base, fake.store, repo, c))

    @api.get("/repos/{owner}/{name}/issues/{number}/sub_issues")
    async def list_sub_issues(request: Request, owner: str, name: str, number: int) -> Response:
        parent = issue_for(repo_for(fake, request, owner, name), number)
        children = [found for i in parent.sub_issue_ids if (found := fake.store.issue_by_id(i))]
        base = base_url(request)
        return paginate(request, children, lambda rc: issue_json(base, fake.store, *rc))

    @api.post("/repos/{owner}/{name}/issues/{number}/sub_issues")
    async def add_sub_issue(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        parent = issue_for(repo, number)
        body = await json_object(request)
        replace = bool(body.get("replace_parent"))
        child_repo, child = ops.add_sub_issue(
            fake.store, repo, parent, body.get("sub_issue_id"), replace
        )
        parent.updated_at = fake.now()
        data = issue_json(base_url(request), fake.store, child_repo, child)
        return JSONResponse(data, status_code=201)

    @api.delete("/repos/{owner}/{name}/issues/{number}/sub_issue")
    async def remove_sub_issue(request: Request, owner: str, name: str, number: int) -> Any:
        parent = issue_for(repo_for(fake, request, owner, name), number)
        body = await json_object(request)
        child_repo, child = ops.remove_sub_issue(fake.store, parent, body.get("sub_issue_id"))
        parent.updated_at = fake.now()
        return issue_json(base_url(request), fake.store, child_repo, child)

    @api.patch("/repos/{owner}/{name}/issues/{number}/sub_issues/priority")
    async def prioritize(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        parent = issue_for(repo, number)
        body = await json_object(request)
        child_id = body.get("sub_issue_id")
        ops.reprioritize(parent, child_id, body.get("after_id"), body.get("before_id"))
        found = fake.store.issue_by_id(child_id) if isinstance(child_id, int) else None
        if found is None:
            raise not_found()
        return issue_json(base_url(request), fake.store, *found)

    @api.get("/repos/{owner}/{name}/issues/{number}/parent")
    async def get_parent(request: Request, owner: str, name: str, number: int) -> Any:
        child = issue_for(repo_for(fake, request, owner, name), number)
        found = fake.store.issue_by_id(child.parent_id) if child.parent_id else None
        if found is None:
            raise not_found()
        return issue_json(base_url(request), fake.store, *found)

    return api
