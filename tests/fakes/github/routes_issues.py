"""Issue, label and milestone endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from . import ops
from .access import acting_user, acts_as_app, issue_for, repo_for
from .fake import FakeGitHub
from .http import GitHubError, base_url, json_body, json_object, not_found, paginate, parse_iso
from .render import issue_json, label_json, milestone_json
from .state import Issue, Repo

SORT_KEYS = {"created": "created_at", "updated": "updated_at"}


def _filter_issues(repo: Repo, query: Any) -> list[Issue]:
    state = query.get("state", "open")
    issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
    if query.get("labels"):
        wanted = {n.strip().lower() for n in query["labels"].split(",") if n.strip()}
        issues = [i for i in issues if wanted <= {n.lower() for n in i.labels}]
    if query.get("creator"):
        issues = [i for i in issues if i.user.login.lower() == query["creator"].lower()]
    assignee = query.get("assignee")
    if assignee == "none":
        issues = [i for i in issues if not i.assignees]
    elif assignee == "*":
        issues = [i for i in issues if i.assignees]
    elif assignee:
        issues = [i for i in issues if assignee.lower() in {a.lower() for a in i.assignees}]
    milestone = query.get("milestone")
    if milestone == "none":
        issues = [i for i in issues if i.milestone is None]
    elif milestone == "*":
        issues = [i for i in issues if i.milestone is not None]
    elif milestone:
        issues = [i for i in issues if str(i.milestone) == milestone]
    if query.get("since"):
        since = parse_iso(query["since"])
        issues = [i for i in issues if i.updated_at >= since]
    key = SORT_KEYS.get(query.get("sort", "created"), "created_at")
    descending = query.get("direction", "desc") != "asc"
    return sorted(issues, key=lambda i: (getattr(i, key), i.number), reverse=descending)


def router(fake: FakeGitHub) -> APIRouter:
    """Routes for issues, labels and milestones."""
    api = APIRouter()

    def render(request: Request, repo: Repo, issue: Issue) -> dict[str, Any]:
        return issue_json(base_url(request), fake.store, repo, issue)

    @api.post("/repos/{owner}/{name}/issues")
    async def create_issue(request: Request, owner: str, name: str) -> JSONResponse:
        repo = repo_for(fake, request, owner, name)
        body = await json_object(request)
        user, via_app = acting_user(fake, request), acts_as_app(request)
        issue = ops.create_issue(fake.store, repo, user, body, fake.now(), via_app=via_app)
        return JSONResponse(render(request, repo, issue), status_code=201)

    @api.get("/repos/{owner}/{name}/issues")
    async def list_issues(request: Request, owner: str, name: str) -> Response:
        repo = repo_for(fake, request, owner, name)
        issues = _filter_issues(repo, request.query_params)
        return paginate(request, issues, lambda i: render(request, repo, i))

    @api.get("/repos/{owner}/{name}/issues/{number}")
    async def get_issue(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        return render(request, repo, issue_for(repo, number))

    @api.patch("/repos/{owner}/{name}/issues/{number}")
    async def edit_issue(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        issue = issue_for(repo, number)
        body = await json_object(request)
        ops.edit_issue(fake.store, repo, issue, body, acting_user(fake, request), fake.now())
        return render(request, repo, issue)

    def issue_labels(request: Request, repo: Repo, issue: Issue) -> list[dict[str, Any]]:
        base = base_url(request)
        return [label_json(base, repo, lab) for n in issue.labels if (lab := repo.label(n))]

    @api.get("/repos/{owner}/{name}/issues/{number}/labels")
    async def list_issue_labels(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        return issue_labels(request, repo, issue_for(repo, number))

    @api.post("/repos/{owner}/{name}/issues/{number}/labels")
    @api.put("/repos/{owner}/{name}/issues/{number}/labels")
    async def add_or_set_labels(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        issue = issue_for(repo, number)
        names = ops.resolve_labels(fake.store, repo, await json_body(request))
        if request.method == "PUT":
            issue.labels = names
        else:
            issue.labels += [n for n in names if n not in issue.labels]
        issue.updated_at = fake.now()
        return issue_labels(request, repo, issue)

    @api.delete("/repos/{owner}/{name}/issues/{number}/labels")
    async def clear_labels(request: Request, owner: str, name: str, number: int) -> Response:
        issue = issue_for(repo_for(fake, request, owner, name), number)
        issue.labels, issue.updated_at = [], fake.now()
        return Response(status_code=204)

    @api.delete("/repos/{owner}/{name}/issues/{number}/labels/{label:path}")
    async def remove_label(request: Request, owner: str, name: str, number: int, label: str) -> Any:
        repo = repo_for(fake, request, owner, name)
        issue = issue_for(repo, number)
        kept = [n for n in issue.labels if n.lower() != label.lower()]
        if len(kept) == len(issue.labels):
            raise GitHubError(404, "Label does not exist")
        issue.labels, issue.updated_at = kept, fake.now()
        return issue_labels(request, repo, issue)

    @api.get("/repos/{owner}/{name}/labels")
    async def list_labels(request: Request, owner: str, name: str) -> Response:
        repo = repo_for(fake, request, owner, name)
        base = base_url(request)
        labels = sorted(repo.labels.values(), key=lambda lab: lab.id)
        return paginate(request, labels, lambda lab: label_json(base, repo, lab))

    @api.post("/repos/{owner}/{name}/labels")
    async def create_label(request: Request, owner: str, name: str) -> JSONResponse:
        repo = repo_for(fake, request, owner, name)
        body = await json_object(request)
        label = ops.create_label(
            fake.store, repo, body.get("name"), body.get("color", "ededed"), body.get("description")
        )
        return JSONResponse(label_json(base_url(request), repo, label), status_code=201)

    @api.get("/repos/{owner}/{name}/labels/{label:path}")
    async def get_label(request: Request, owner: str, name: str, label: str) -> Any:
        repo = repo_for(fake, request, owner, name)
        found = repo.label(label)
        if found is None:
            raise not_found()
        return label_json(base_url(request), repo, found)

    @api.get("/repos/{owner}/{name}/milestones")
    async def list_milestones(request: Request, owner: str, name: str) -> Response:
        repo = repo_for(fake, request, owner, name)
        state = request.query_params.get("state", "open")
        items = [m for m in repo.milestones.values() if state == "all" or m.state == state]
        items.sort(key=lambda m: (m.due_on is None, m.due_on or "", m.number))
        if request.query_params.get("direction") == "desc":
            items.reverse()
        base = base_url(request)
        return paginate(request, items, lambda m: milestone_json(base, repo, m))

    @api.post("/repos/{owner}/{name}/milestones")
    async def create_milestone(request: Request, owner: str, name: str) -> JSONResponse:
        repo = repo_for(fake, request, owner, name)
        body = await json_object(request)
        ms = ops.create_milestone(fake.store, repo, body, acting_user(fake, request), fake.now())
        return JSONResponse(milestone_json(base_url(request), repo, ms), status_code=201)

    @api.get("/repos/{owner}/{name}/milestones/{number}")
    async def get_milestone(request: Request, owner: str, name: str, number: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        if number not in repo.milestones:
            raise not_found()
        return milestone_json(base_url(request), repo, repo.milestones[number])

    return api
