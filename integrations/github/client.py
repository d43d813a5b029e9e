"""Build PyGithub clients (App, installation) from explicit arguments, and request-free handles.

PyGithub's own throttles are switched off: pacing is ours (`pacing.WritePacer`). The installation
auth caches its token and refreshes it 20 s before expiry.
"""

from __future__ import annotations

from typing import Any

from github import Auth, Github, GithubIntegration, GithubRetry
from github.CheckRun import CheckRun
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Repository import Repository
from urllib3.util.retry import Retry

from integrations.errors import ItemNotFound
from integrations.github.errors import translated

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def app_integration(
    app_id: int | str,
    private_key_pem: str,
    *,
    base_url: str,
    timeout: int = 15,
    retry: Retry | None = None,
) -> GithubIntegration:
    """The App itself (JWT auth): installations, installation tokens, `/app`."""
    return GithubIntegration(
        auth=Auth.AppAuth(app_id, private_key_pem),
        base_url=base_url,
        timeout=timeout,
        retry=retry,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def installation_client(
    app_id: int | str,
    private_key_pem: str,
    installation_id: int,
    *,
    base_url: str,
    timeout: int = 15,
    retry: Retry | None = None,
) -> Github:
    """A client acting as one installation; production passes `read_only_retry()`, tests None."""
    auth = Auth.AppAuth(app_id, private_key_pem).get_installation_auth(installation_id)
    return Github(
        auth=auth,
        base_url=base_url,
        timeout=timeout,
        per_page=100,
        retry=retry,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def read_only_retry(total: int = 3, *, max_rate_limit_wait: float = 60.0) -> GithubRetry:
    """Retries for reads only: a retried POST after a 5xx is how duplicate issues are made."""
    return GithubRetry(
        total=total,
        backoff_factor=0.5,
        allowed_methods=READ_METHODS,
        max_rate_limit_wait=max_rate_limit_wait,
    )


def lazy_repo(gh: Github, full_name: str) -> Repository:
    """A repository handle that costs no request until a method needs one."""
    url = f"{gh.requester.base_url}/repos/{full_name}"
    return Repository(gh.requester, url=url, completed=False)


def lazy_issue(gh: Github, full_name: str, number: int) -> Issue:
    """An issue handle for writes that need only its URL (comment, link, PATCH)."""
    url = f"{gh.requester.base_url}/repos/{full_name}/issues/{number}"
    return Issue(gh.requester, url=url, completed=False)


def lazy_comment(gh: Github, full_name: str, comment_id: int) -> IssueComment:
    """An issue-comment handle for adding a reaction without reading the comment first."""
    url = f"{gh.requester.base_url}/repos/{full_name}/issues/comments/{comment_id}"
    return IssueComment(gh.requester, url=url, completed=False)


def get_json(gh: Github, url: str) -> dict[str, Any] | None:
    """A GET of an endpoint PyGithub has no call for; None on 404."""
    try:
        with translated():
            _, data = gh.requester.requestJsonAndCheck("GET", url)
    except ItemNotFound:
        return None
    return dict(data)


def read_text(gh: Github, full_name: str, path: str) -> str | None:
    """A file's text from a repository's default branch; None when absent or a directory."""
    try:
        with translated():
            found = lazy_repo(gh, full_name).get_contents(path)
    except ItemNotFound:
        return None
    return None if isinstance(found, list) else found.decoded_content.decode(errors="replace")


def app_check_runs(repo: Repository, sha: str, app_slug: str) -> list[CheckRun]:
    """Every check run on the commit that this app created, newest first."""
    with translated():
        runs = repo.get_commit(sha).get_check_runs(filter="all")
        return [run for run in runs if run.app is not None and run.app.slug == app_slug]
