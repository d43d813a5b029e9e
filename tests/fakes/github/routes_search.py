"""`GET /search/issues`: a small parser for the qualifiers controlbot uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .access import visible_repo_ids
from .fake import FakeGitHub
from .http import GitHubError, base_url, paginate
from .render import issue_json
from .state import Issue, Repo

MAX_RESULTS = 1000
_TOKEN = re.compile(r'(-?)(?:([a-z_]+):)?("([^"]*)"?|\S+)')
_QUALIFIERS = {"repo", "is", "type", "label", "state", "in", "author", "assignee", "no"}


@dataclass
class Query:
    """A parsed search: qualifiers, excluded labels and free-text terms."""

    repos: set[str] = field(default_factory=set)
    state: str | None = None
    kind: str | None = None
    labels: list[str] = field(default_factory=list)
    not_labels: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    author: str | None = None
    assignee: str | None = None
    terms: list[str] = field(default_factory=list)


def parse_query(q: str) -> Query:
    """Split `q` into qualifiers and terms; quoted values may hold spaces."""
    query = Query()
    for negate, key, raw, quoted in _TOKEN.findall(q):
        value = quoted if raw.startswith('"') else raw
        if key not in _QUALIFIERS:
            query.terms.append(f"{key}:{value}" if key else value)
        elif key == "repo":
            query.repos.add(value.lower())
        elif key in ("is", "type") and value in ("open", "closed"):
            query.state = value
        elif key in ("is", "type"):
            query.kind = "pr" if value in ("pr", "pull-request") else "issue"
        elif key == "state":
            query.state = value
        elif key == "label":
            (query.not_labels if negate else query.labels).append(value.lower())
        elif key == "in":
            query.fields |= set(value.split(","))
        elif key == "author":
            query.author = value.lower()
        elif key == "assignee":
            query.assignee = value.lower()
    return query


def matches(query: Query, issue: Issue) -> bool:
    """Whether an issue satisfies every qualifier and contains every term."""
    labels = {n.lower() for n in issue.labels}
    if query.kind == "pr" or (query.state and issue.state != query.state):
        return False
    if not set(query.labels) <= labels or labels & set(query.not_labels):
        return False
    if query.author and issue.user.login.lower() != query.author:
        return False
    if query.assignee and query.assignee not in {a.lower() for a in issue.assignees}:
        return False
    where = query.fields or {"title", "body"}
    haystack = " ".join(
        text for f, text in (("title", issue.title), ("body", issue.body or "")) if f in where
    ).lower()
    return all(term.lower() in haystack for term in query.terms)


def router(fake: FakeGitHub) -> APIRouter:
    """The issue search route."""
    api = APIRouter()

    @api.get("/search/issues")
    async def search_issues(request: Request) -> Response:
        q = request.query_params.get("q", "")
        if not q.strip():
            raise GitHubError(
                422,
                "Validation Failed",
                errors=[{"resource": "Search", "field": "q", "code": "missing"}],
            )
        query = parse_query(q)
        visible = visible_repo_ids(fake, request)
        cutoff = fake.now() - fake.search_lag
        found: list[tuple[Repo, Issue]] = []
        for key, repo in fake.store.repos.items():
            if repo.id not in visible or (query.repos and key not in query.repos):
                continue
            found += [
                (repo, i)
                for i in repo.issues.values()
                if i.created_at <= cutoff and matches(query, i)
            ]
        order = request.query_params.get("order", "desc")
        sort_key = {"updated": "updated_at"}.get(request.query_params.get("sort", ""), "created_at")
        found.sort(key=lambda ri: (getattr(ri[1], sort_key), ri[1].id), reverse=order != "asc")
        total = len(found)
        base = base_url(request)

        def render(pair: tuple[Repo, Issue]) -> dict[str, Any]:
            return issue_json(base, fake.store, *pair) | {"score": 1.0}

        return paginate(
            request,
            found[:MAX_RESULTS],
            render,
            wrap=lambda page: {"total_count": total, "incomplete_results": False, "items": page},
        )

    return api
