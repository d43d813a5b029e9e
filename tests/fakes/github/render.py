"""JSON shapes of GitHub REST objects, every URL built from the fake's own base."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .http import iso
from .state import (
    App,
    CheckRun,
    Comment,
    Installation,
    Issue,
    Label,
    Milestone,
    Reaction,
    Repo,
    Store,
    User,
)

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def user_json(base: str, user: User) -> dict[str, Any]:
    """A simple user (`login`, `id`, `type`, urls)."""
    login = quote(user.login, safe="")
    url = f"{base}/users/{login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": f"U_{user.id}",
        "avatar_url": f"{base}/avatars/u/{user.id}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{base}/{login}",
        "followers_url": f"{url}/followers",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def app_json(base: str, app: App) -> dict[str, Any]:
    """The App, as `GET /app` and `performed_via_github_app` show it."""
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": f"A_{app.id}",
        "client_id": app.client_id,
        "owner": user_json(base, app.owner),
        "name": app.name,
        "description": "",
        "external_url": f"{base}/apps/{app.slug}",
        "html_url": f"{base}/apps/{app.slug}",
        "created_at": iso(app.created_at),
        "updated_at": iso(app.created_at),
        "permissions": dict(app.permissions),
        "events": list(app.events),
    }


def installation_json(base: str, store: Store, inst: Installation) -> dict[str, Any]:
    """An installation of the App."""
    app = store.app
    return {
        "id": inst.id,
        "client_id": app.client_id,
        "account": user_json(base, inst.account),
        "repository_selection": inst.repository_selection,
        "access_tokens_url": f"{base}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{base}/installation/repositories",
        "html_url": f"{base}/organizations/{inst.account.login}/settings/installations/{inst.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": inst.account.id,
        "target_type": inst.account.type,
        "permissions": dict(inst.permissions),
        "events": list(app.events),
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.created_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": iso(inst.created_at) if inst.suspended else None,
    }


def repo_url(base: str, repo: Repo) -> str:
    """`{base}/repos/{owner}/{name}`."""
    return f"{base}/repos/{repo.full_name}"


def repo_json(base: str, repo: Repo) -> dict[str, Any]:
    """A full repository."""
    url = repo_url(base, repo)
    open_issues = sum(1 for issue in repo.issues.values() if issue.state == "open")
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "owner": user_json(base, repo.owner),
        "html_url": f"{base}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": url,
        "issues_url": f"{url}/issues{{/number}}",
        "labels_url": f"{url}/labels{{/name}}",
        "milestones_url": f"{url}/milestones{{/number}}",
        "contents_url": f"{url}/contents/{{+path}}",
        "collaborators_url": f"{url}/collaborators{{/collaborator}}",
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.created_at),
        "pushed_at": iso(repo.created_at),
        "default_branch": repo.default_branch,
        "has_issues": True,
        "archived": False,
        "disabled": False,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "permissions": {"admin": False, "maintain": False, "push": False, "triage": False},
    }


def label_json(base: str, repo: Repo, label: Label) -> dict[str, Any]:
    """A label."""
    return {
        "id": label.id,
        "node_id": f"LA_{label.id}",
        "url": f"{repo_url(base, repo)}/labels/{quote(label.name, safe='')}",
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    }


def milestone_json(base: str, repo: Repo, ms: Milestone) -> dict[str, Any]:
    """A milestone with its open/closed issue counts."""
    url = f"{repo_url(base, repo)}/milestones/{ms.number}"
    mine = [i for i in repo.issues.values() if i.milestone == ms.number]
    return {
        "url": url,
        "html_url": f"{base}/{repo.full_name}/milestone/{ms.number}",
        "labels_url": f"{url}/labels",
        "id": ms.id,
        "node_id": f"MI_{ms.id}",
        "number": ms.number,
        "title": ms.title,
        "description": ms.description,
        "creator": user_json(base, ms.creator),
        "open_issues": sum(1 for i in mine if i.state == "open"),
        "closed_issues": sum(1 for i in mine if i.state == "closed"),
        "state": ms.state,
        "created_at": iso(ms.created_at),
        "updated_at": iso(ms.updated_at),
        "due_on": ms.due_on,
        "closed_at": iso(ms.closed_at),
    }


def reactions_summary(url: str, reactions: list[Reaction]) -> dict[str, Any]:
    """The `reactions` rollup on issues and comments."""
    counts = dict.fromkeys(REACTIONS, 0)
    for reaction in reactions:
        counts[reaction.content] += 1
    return {"url": f"{url}/reactions", "total_count": len(reactions), **counts}


def sub_issues_summary(store: Store, issue: Issue) -> dict[str, int]:
    """`{total, completed, percent_completed}`; closed children count as completed."""
    total = len(issue.sub_issue_ids)
    done = 0
    for child_id in issue.sub_issue_ids:
        found = store.issue_by_id(child_id)
        done += bool(found and found[1].state == "closed")
    percent = done * 100 // total if total else 0
    return {"total": total, "completed": done, "percent_completed": percent}


def issue_json(base: str, store: Store, repo: Repo, issue: Issue) -> dict[str, Any]:
    """A full issue as `GET /repos/{o}/{r}/issues/{n}` returns it."""
    url = f"{repo_url(base, repo)}/issues/{issue.number}"
    labels = [label_json(base, repo, lab) for n in issue.labels if (lab := repo.label(n))]
    assignees = [user_json(base, store.user(login)) for login in issue.assignees]
    milestone = repo.milestones.get(issue.milestone) if issue.milestone else None
    parent = store.issue_by_id(issue.parent_id) if issue.parent_id else None
    comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
    data: dict[str, Any] = {
        "url": url,
        "repository_url": repo_url(base, repo),
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{base}/{repo.full_name}/issues/{issue.number}",
        "timeline_url": f"{url}/timeline",
        "id": issue.id,
        "node_id": f"I_{issue.id}",
        "number": issue.number,
        "title": issue.title,
        "user": user_json(base, issue.user),
        "labels": labels,
        "state": issue.state,
        "locked": False,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": milestone_json(base, repo, milestone) if milestone else None,
        "comments": comments,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at),
        "closed_by": user_json(base, issue.closed_by) if issue.closed_by else None,
        "author_association": "NONE" if issue.user.type == "Bot" else "MEMBER",
        "active_lock_reason": None,
        "type": None,
        "body": issue.body,
        "reactions": reactions_summary(url, []),
        "performed_via_github_app": app_json(base, store.app) if issue.via_app else None,
        "state_reason": issue.state_reason,
        "sub_issues_summary": sub_issues_summary(store, issue),
        "issue_dependencies_summary": {
            "blocked_by": 0,
            "total_blocked_by": 0,
            "blocking": 0,
            "total_blocking": 0,
        },
    }
    if parent:
        data["parent_issue_url"] = f"{repo_url(base, parent[0])}/issues/{parent[1].number}"
    return data


def comment_json(base: str, store: Store, repo: Repo, comment: Comment) -> dict[str, Any]:
    """An issue comment with its reactions rollup."""
    url = f"{repo_url(base, repo)}/issues/comments/{comment.id}"
    html = f"{base}/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}"
    return {
        "url": url,
        "html_url": html,
        "issue_url": f"{repo_url(base, repo)}/issues/{comment.issue_number}",
        "id": comment.id,
        "node_id": f"IC_{comment.id}",
        "user": user_json(base, comment.user),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "author_association": "NONE" if comment.user.type == "Bot" else "MEMBER",
        "body": comment.body,
        "reactions": reactions_summary(url, comment.reactions),
        "performed_via_github_app": app_json(base, store.app) if comment.via_app else None,
    }


def reaction_json(base: str, reaction: Reaction) -> dict[str, Any]:
    """A single reaction."""
    return {
        "id": reaction.id,
        "node_id": f"REA_{reaction.id}",
        "user": user_json(base, reaction.user),
        "content": reaction.content,
        "created_at": iso(reaction.created_at),
    }


def check_run_json(base: str, store: Store, repo: Repo, run: CheckRun) -> dict[str, Any]:
    """A check run."""
    url = f"{repo_url(base, repo)}/check-runs/{run.id}"
    output = {
        "title": run.output.get("title"),
        "summary": run.output.get("summary"),
        "text": run.output.get("text"),
        "annotations_count": len(run.output.get("annotations") or []),  # type: ignore[arg-type]
        "annotations_url": f"{url}/annotations",
    }
    return {
        "id": run.id,
        "node_id": f"CR_{run.id}",
        "head_sha": run.head_sha,
        "external_id": run.external_id or "",
        "url": url,
        "html_url": f"{base}/{repo.full_name}/runs/{run.id}",
        "details_url": run.details_url,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at),
        "output": output,
        "name": run.name,
        "check_suite": {"id": run.suite_id},
        "app": app_json(base, store.app),
        "pull_requests": [],
    }
