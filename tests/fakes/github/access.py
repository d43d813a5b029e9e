"""Lookups the routes share: the caller, the repositories it may see, the acting user."""

from __future__ import annotations

from fastapi import Request

from .auth import Caller
from .fake import FakeGitHub
from .http import not_found
from .state import Comment, Issue, Repo, User


def caller_of(request: Request) -> Caller:
    """The caller the gate authenticated."""
    caller: Caller = request.state.caller
    return caller


def visible_repo_ids(fake: FakeGitHub, request: Request) -> set[int]:
    """Repositories this caller may read: a token's repositories, nothing for others."""
    caller = caller_of(request)
    if caller.token is None:
        return set()
    return fake.store.token_repo_ids(caller.token)


def repo_for(fake: FakeGitHub, request: Request, owner: str, name: str) -> Repo:
    """The repository if the token reaches it; 404 otherwise (GitHub hides private repos)."""
    repo = fake.store.repo(f"{owner}/{name}")
    if repo is None or repo.id not in visible_repo_ids(fake, request):
        raise not_found()
    return repo


def issue_for(repo: Repo, number: int) -> Issue:
    """The issue with this number; 404 otherwise."""
    issue = repo.issues.get(number)
    if issue is None:
        raise not_found()
    return issue


def comment_for(repo: Repo, comment_id: int) -> Comment:
    """The comment with this id in this repository; 404 otherwise."""
    comment = repo.comments.get(comment_id)
    if comment is None:
        raise not_found()
    return comment


def acting_user(fake: FakeGitHub, request: Request) -> User:
    """Who authored a write: the App's bot user `<slug>[bot]` for installation tokens."""
    return fake.store.app.bot


def acts_as_app(request: Request) -> bool:
    """Whether the write is made through an App installation token."""
    return caller_of(request).token is not None
