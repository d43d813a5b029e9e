"""Repository endpoints: the repo, file contents, commits, check runs, collaborator roles."""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .access import repo_for
from .fake import FakeGitHub
from .http import (
    GitHubError,
    base_url,
    iso,
    json_object,
    not_found,
    paginate,
    parse_iso,
    validation_failed,
)
from .render import check_run_json, repo_json, repo_url, user_json
from .state import CheckRun, Repo

STATUSES = {"queued", "in_progress", "completed", "waiting", "requested", "pending"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped"}
CONCLUSIONS |= {"timed_out"}
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write"}
LEGACY_PERMISSION |= {"triage": "read", "read": "read", "none": "none"}
ROLE_RANK = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}
PERMISSION_FLAGS = {"admin": "admin", "maintain": "maintain", "push": "write"}
PERMISSION_FLAGS |= {"triage": "triage", "pull": "read"}
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _resolve_ref(repo: Repo, ref: str) -> tuple[str, str]:
    """(branch name for files, commit sha) for a branch, a tag, the head sha, or any full sha."""
    if ref in repo.files:
        return ref, repo.head_sha if ref == repo.default_branch else _fake_sha(repo, ref)
    if ref == repo.head_sha:
        return repo.default_branch, ref
    if ref in repo.tags:
        sha = repo.tags[ref]
        return (repo.default_branch if sha == repo.head_sha else ""), sha
    if _SHA.match(ref):
        return "", ref
    raise GitHubError(422, f"No commit found for SHA: {ref}")


def _fake_sha(repo: Repo, branch: str) -> str:
    return hashlib.sha1(f"{repo.full_name}@{branch}".encode()).hexdigest()


def _file_json(base: str, repo: Repo, path: str, data: bytes, ref: str) -> dict[str, Any]:
    sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    url = f"{repo_url(base, repo)}/contents/{path}?ref={ref}"
    html = f"{base}/{repo.full_name}/blob/{ref}/{path}"
    git = f"{repo_url(base, repo)}/git/blobs/{sha}"
    encoded = base64.b64encode(data).decode()
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": "\n".join(textwrap.wrap(encoded, 60)) + "\n",
        "sha": sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": f"{base}/raw/{repo.full_name}/{ref}/{path}",
        "_links": {"self": url, "git": git, "html": html},
    }


def _apply_check_fields(run: CheckRun, body: dict[str, Any], now: float) -> None:
    for key in ("name", "head_sha", "details_url", "external_id"):
        if key in body:
            setattr(run, key, body[key])
    status, conclusion = body.get("status"), body.get("conclusion")
    if status is not None and status not in STATUSES:
        raise validation_failed("CheckRun", "status", "invalid", value=status)
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise validation_failed("CheckRun", "conclusion", "invalid", value=conclusion)
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise GitHubError(422, "Invalid request.\n\nNo conclusion provided for completed run.")
    if "output" in body:
        output = body["output"] or {}
        if not output.get("title") or not output.get("summary"):
            raise GitHubError(422, 'Invalid request.\n\n"title", "summary" weren\'t supplied.')
        if len(output.get("annotations") or []) > 50:
            raise validation_failed("CheckRun", "annotations", "too_long")
        run.output = dict(output)
    if "actions" in body:
        if len(body["actions"] or []) > 3:
            raise validation_failed("CheckRun", "actions", "too_long")
        run.actions = list(body["actions"] or [])
    if "started_at" in body:
        run.started_at = parse_iso(body["started_at"])
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.status, run.conclusion = "completed", conclusion
        run.completed_at = parse_iso(body["completed_at"]) if body.get("completed_at") else now


def router(fake: FakeGitHub) -> APIRouter:
    """Routes for repositories, contents, commits, check runs and permissions."""
    api = APIRouter()

    @api.get("/repos/{owner}/{name}")
    async def get_repo(request: Request, owner: str, name: str) -> dict[str, Any]:
        return repo_json(base_url(request), repo_for(fake, request, owner, name))

    @api.get("/repos/{owner}/{name}/contents/{path:path}")
    async def get_contents(request: Request, owner: str, name: str, path: str) -> Any:
        repo = repo_for(fake, request, owner, name)
        ref = request.query_params.get("ref") or repo.default_branch
        branch, _ = _resolve_ref(repo, ref)
        files, path = repo.files.get(branch, {}), path.strip("/")
        if path in files:
            return _file_json(base_url(request), repo, path, files[path], ref)
        prefix = f"{path}/" if path else ""
        children = sorted({p[len(prefix) :].split("/")[0] for p in files if p.startswith(prefix)})
        if not children:
            raise not_found()
        base = base_url(request)
        listing = []
        for child in children:
            full = prefix + child
            entry = _file_json(base, repo, full, files.get(full, b""), ref)
            if full not in files:
                entry |= {"type": "dir", "size": 0}
            listing.append({k: v for k, v in entry.items() if k not in ("content", "encoding")})
        return listing

    @api.get("/repos/{owner}/{name}/commits/{ref}")
    async def get_commit(request: Request, owner: str, name: str, ref: str) -> dict[str, Any]:
        repo = repo_for(fake, request, owner, name)
        _, sha = _resolve_ref(repo, ref)
        base, url = base_url(request), f"{repo_url(base_url(request), repo)}/commits/{sha}"
        person = {"name": "dev", "email": "dev@example.com", "date": iso(repo.created_at)}
        commit = {"message": "commit", "author": person, "committer": person, "url": url}
        return {
            "sha": sha,
            "node_id": f"C_{sha[:12]}",
            "url": url,
            "html_url": f"{base}/{repo.full_name}/commit/{sha}",
            "commit": commit,
            "author": None,
            "committer": None,
            "parents": [],
            "files": [],
            "stats": {"additions": 0, "deletions": 0, "total": 0},
        }

    @api.post("/repos/{owner}/{name}/check-runs")
    async def create_check_run(request: Request, owner: str, name: str) -> JSONResponse:
        repo = repo_for(fake, request, owner, name)
        body = await json_object(request)
        if not body.get("name") or not body.get("head_sha"):
            raise GitHubError(422, 'Invalid request.\n\n"name", "head_sha" weren\'t supplied.')
        _resolve_ref(repo, body["head_sha"])
        now = fake.now()
        run = CheckRun(
            id=fake.store.next_id("check_run"),
            name=body["name"],
            head_sha=body["head_sha"],
            status="queued",
            suite_id=fake.store.next_id("suite"),
            started_at=now,
        )
        _apply_check_fields(run, body, now)
        repo.check_runs[run.id] = run
        return JSONResponse(check_run_json(base_url(request), fake.store, repo, run), 201)

    @api.get("/repos/{owner}/{name}/check-runs/{run_id}")
    async def get_check_run(request: Request, owner: str, name: str, run_id: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        if run_id not in repo.check_runs:
            raise not_found()
        return check_run_json(base_url(request), fake.store, repo, repo.check_runs[run_id])

    @api.patch("/repos/{owner}/{name}/check-runs/{run_id}")
    async def edit_check_run(request: Request, owner: str, name: str, run_id: int) -> Any:
        repo = repo_for(fake, request, owner, name)
        run = repo.check_runs.get(run_id)
        if run is None:
            raise not_found()
        _apply_check_fields(run, await json_object(request), fake.now())
        return check_run_json(base_url(request), fake.store, repo, run)

    @api.get("/repos/{owner}/{name}/commits/{ref}/check-runs")
    async def list_check_runs(request: Request, owner: str, name: str, ref: str) -> Any:
        repo = repo_for(fake, request, owner, name)
        _, sha = _resolve_ref(repo, ref)
        query = request.query_params
        runs = [r for r in repo.check_runs.values() if r.head_sha == sha]
        if query.get("check_name"):
            runs = [r for r in runs if r.name == query["check_name"]]
        if query.get("status"):
            runs = [r for r in runs if r.status == query["status"]]
        if query.get("filter", "latest") == "latest":
            latest = {r.name: r for r in sorted(runs, key=lambda r: r.id)}
            runs = list(latest.values())
        runs.sort(key=lambda r: r.id, reverse=True)
        base = base_url(request)
        return paginate(
            request,
            runs,
            lambda r: check_run_json(base, fake.store, repo, r),
            wrap=lambda page: {"total_count": len(runs), "check_runs": page},
        )

    @api.get("/repos/{owner}/{name}/collaborators/{login}/permission")
    async def permission(request: Request, owner: str, name: str, login: str) -> Any:
        repo = repo_for(fake, request, owner, name)
        user = fake.store.users.get(login.lower())
        if user is None:
            raise GitHubError(404, f"{login} is not a user")
        role = repo.role(login)
        rank = ROLE_RANK[role]
        flags = {flag: rank >= ROLE_RANK[needed] for flag, needed in PERMISSION_FLAGS.items()}
        user_data = user_json(base_url(request), user) | {"permissions": flags, "role_name": role}
        return {"permission": LEGACY_PERMISSION[role], "role_name": role, "user": user_data}

    return api
