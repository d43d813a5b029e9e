"""App endpoints: `/app`, installations, installation tokens, `/rate_limit`, users."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .access import caller_of, visible_repo_ids
from .fake import FakeGitHub
from .http import GitHubError, base_url, iso, json_object, not_found, paginate, validation_failed
from .render import app_json, installation_json, repo_json, user_json
from .state import Installation, Token


def _installation(fake: FakeGitHub, installation_id: int) -> Installation:
    found = fake.store.installations.get(installation_id)
    if found is None:
        raise not_found()
    return found


def _narrow_permissions(granted: dict[str, str], asked: Any) -> dict[str, str]:
    if not asked:
        return dict(granted)
    if not isinstance(asked, dict):
        raise GitHubError(422, "Invalid request.\n\nFor 'permissions', value is not an object.")
    for name, level in asked.items():
        if granted.get(name) is None or (level == "write" and granted[name] != "write"):
            raise GitHubError(422, "The permissions requested are not granted to this app.")
    return {str(k): str(v) for k, v in asked.items()}


def _narrow_repos(fake: FakeGitHub, inst: Installation, body: dict[str, Any]) -> set[int] | None:
    names, ids = body.get("repositories"), body.get("repository_ids")
    if not names and not ids:
        return None
    reachable = fake.store.installation_repo_ids(inst)
    wanted = set(ids or [])
    for name in names or []:
        repo = fake.store.repo(f"{inst.account.login}/{name}")
        if repo is None:
            raise validation_failed("Repository", "repositories", "invalid", value=name)
        wanted.add(repo.id)
    if not wanted <= reachable:
        raise GitHubError(422, "There is at least one repository that is not accessible.")
    return wanted


def router(fake: FakeGitHub) -> APIRouter:
    """Routes for App authentication and account lookups."""
    api = APIRouter()

    @api.get("/app")
    async def get_app(request: Request) -> dict[str, Any]:
        data = app_json(base_url(request), fake.store.app)
        return data | {"installations_count": len(fake.store.installations)}

    @api.get("/app/installations")
    async def list_installations(request: Request) -> Any:
        base = base_url(request)
        items = sorted(fake.store.installations.values(), key=lambda i: i.id)
        return paginate(request, items, lambda i: installation_json(base, fake.store, i))

    @api.get("/app/installations/{installation_id}")
    async def get_installation(request: Request, installation_id: int) -> dict[str, Any]:
        inst = _installation(fake, installation_id)
        return installation_json(base_url(request), fake.store, inst)

    @api.post("/app/installations/{installation_id}/access_tokens")
    async def create_token(request: Request, installation_id: int) -> JSONResponse:
        inst = _installation(fake, installation_id)
        if inst.suspended:
            raise GitHubError(403, "This installation has been suspended")
        body = await json_object(request)
        token = Token(
            token=f"ghs_{secrets.token_urlsafe(27)[:36]}",
            installation_id=inst.id,
            expires_at=fake.now() + fake.token_lifetime,
            permissions=_narrow_permissions(inst.permissions, body.get("permissions")),
            repository_ids=_narrow_repos(fake, inst, body),
        )
        fake.store.tokens[token.token] = token
        data: dict[str, Any] = {
            "token": token.token,
            "expires_at": iso(token.expires_at),
            "permissions": token.permissions,
            "repository_selection": inst.repository_selection,
        }
        if token.repository_ids is not None:
            data["repository_selection"] = "selected"
            base = base_url(request)
            repos = [r for r in fake.store.repos.values() if r.id in token.repository_ids]
            data["repositories"] = [repo_json(base, r) for r in repos]
        return JSONResponse(data, status_code=201)

    @api.get("/repos/{owner}/{name}/installation")
    async def repo_installation(request: Request, owner: str, name: str) -> dict[str, Any]:
        repo = fake.store.repo(f"{owner}/{name}")
        inst = fake.store.installation_for_repo(repo) if repo else None
        if inst is None:
            raise not_found()
        return installation_json(base_url(request), fake.store, inst)

    @api.get("/orgs/{account}/installation")
    @api.get("/users/{account}/installation")
    async def account_installation(request: Request, account: str) -> dict[str, Any]:
        for inst in fake.store.installations.values():
            if inst.account.login.lower() == account.lower():
                return installation_json(base_url(request), fake.store, inst)
        raise not_found()

    @api.get("/installation/repositories")
    async def installation_repos(request: Request) -> Any:
        ids = visible_repo_ids(fake, request)
        repos = sorted((r for r in fake.store.repos.values() if r.id in ids), key=lambda r: r.id)
        base = base_url(request)
        return paginate(
            request,
            repos,
            lambda r: repo_json(base, r),
            wrap=lambda page: {"total_count": len(repos), "repositories": page},
        )

    @api.get("/rate_limit")
    async def rate_limit(request: Request) -> dict[str, Any]:
        key, now = caller_of(request).key, fake.now()
        core = fake.primary.open_core(key, now).as_json()
        search = fake.primary.bucket(key, "search", now).as_json()
        return {"resources": {"core": core, "search": search}, "rate": core}

    @api.get("/users/{login}")
    async def get_user(request: Request, login: str) -> dict[str, Any]:
        user = fake.store.users.get(login.lower())
        if user is None:
            raise not_found()
        return user_json(base_url(request), user)

    return api
