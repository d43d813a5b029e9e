"""JSON shapes of Jira resources; every `self` URL is built from the request's own base URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import Comment, Issue, IssueType, Project, RemoteLink, Resolution, Status, Version

if TYPE_CHECKING:
    from .state import FakeJira

CATEGORIES = {
    "new": ("2", "To Do", "blue-gray"),
    "indeterminate": ("4", "In Progress", "yellow"),
    "done": ("3", "Done", "green"),
}


@dataclass(frozen=True)
class Ctx:
    """One request's view: the fake, its base URL and the REST version (`2` or `3`)."""

    fake: FakeJira
    base: str
    api: str

    def url(self, path: str) -> str:
        """An absolute REST URL on this server."""
        return f"{self.base}/rest/api/{self.api}/{path}"

    def text(self, value: str | None) -> Any:
        """A plain string on v2; an Atlassian Document Format document on v3."""
        if value is None or self.api != "3":
            return value
        paragraphs = [
            {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
            for line in value.split("\n")
        ]
        return {"type": "doc", "version": 1, "content": paragraphs}


def user(ctx: Ctx) -> dict[str, Any]:
    """The authenticated user: accountId on Cloud, name and key on Data Center."""
    who = ctx.fake.current_user
    if ctx.fake.is_cloud:
        ident = {
            "self": ctx.url(f"user?accountId={who['accountId']}"),
            "accountId": who["accountId"],
        }
        ident["accountType"] = "atlassian"
    else:
        ident = {
            "self": ctx.url(f"user?username={who['name']}"),
            "name": who["name"],
            "key": who["key"],
        }
    return {
        **ident,
        "emailAddress": who["emailAddress"],
        "displayName": "Controlbot",
        "active": True,
        "timeZone": "Etc/UTC",
    }


def status(ctx: Ctx, st: Status) -> dict[str, Any]:
    """A status with its statusCategory."""
    cat_id, cat_name, colour = CATEGORIES[st.category]
    category = {
        "self": ctx.url(f"statuscategory/{cat_id}"),
        "id": int(cat_id),
        "key": st.category,
        "colorName": colour,
        "name": cat_name,
    }
    return {
        "self": ctx.url(f"status/{st.id}"),
        "description": "",
        "iconUrl": f"{ctx.base}/images/icons/statuses/generic.png",
        "name": st.name,
        "id": st.id,
        "statusCategory": category,
    }


def issue_type(ctx: Ctx, it: IssueType) -> dict[str, Any]:
    """An issue type."""
    data: dict[str, Any] = {
        "self": ctx.url(f"issuetype/{it.id}"),
        "id": it.id,
        "description": f"A {it.name.lower()}.",
        "iconUrl": f"{ctx.base}/images/icons/issuetypes/{it.name.lower()}.svg",
        "name": it.name,
        "subtask": False,
    }
    if ctx.fake.is_cloud:
        data["hierarchyLevel"] = it.hierarchy_level
    return data


def project(ctx: Ctx, p: Project, *, detail: bool = True) -> dict[str, Any]:
    """A project; the detail form adds issue types, components and versions."""
    data: dict[str, Any] = {
        "self": ctx.url(f"project/{p.id}"),
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "projectTypeKey": "software",
    }
    if ctx.fake.is_cloud:
        data |= {"simplified": False, "style": "classic", "isPrivate": False}
    if detail:
        data["lead"] = user(ctx)
        data["issueTypes"] = [issue_type(ctx, it) for it in p.issue_types]
        data["components"] = [component(ctx, cid, name) for name, cid in p.components.items()]
        data["versions"] = [
            version(ctx, v) for v in ctx.fake.versions.values() if v.project_id == p.id
        ]
    return data


def component(ctx: Ctx, cid: str, name: str) -> dict[str, Any]:
    """A component reference."""
    return {"self": ctx.url(f"component/{cid}"), "id": cid, "name": name}


def resolution(ctx: Ctx, r: Resolution) -> dict[str, Any]:
    """A resolution."""
    return {
        "self": ctx.url(f"resolution/{r.id}"),
        "id": r.id,
        "name": r.name,
        "description": r.description,
    }


def version(ctx: Ctx, v: Version) -> dict[str, Any]:
    """A project version."""
    data: dict[str, Any] = {
        "self": ctx.url(f"version/{v.id}"),
        "id": v.id,
        "name": v.name,
        "archived": v.archived,
        "released": v.released,
        "projectId": int(v.project_id),
    }
    if v.description is not None:
        data["description"] = v.description
    if v.release_date:
        data["releaseDate"] = v.release_date
    if v.start_date:
        data["startDate"] = v.start_date
    return data


def comment(ctx: Ctx, issue: Issue, c: Comment) -> dict[str, Any]:
    """A comment, by its author (the bot unless a person wrote it)."""
    author = ctx.fake.user_json(c.author, ctx.base) if c.author else user(ctx)
    return {
        "self": ctx.url(f"issue/{issue.id}/comment/{c.id}"),
        "id": c.id,
        "author": author,
        "body": ctx.text(c.body),
        "updateAuthor": author,
        "created": c.created,
        "updated": c.updated,
        "jsdPublic": True,
    }


def comment_page(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    """The comments of an issue as one page."""
    comments = [comment(ctx, issue, c) for c in issue.comments]
    return {"comments": comments, "maxResults": len(comments), "total": len(comments), "startAt": 0}


def remote_link(ctx: Ctx, issue: Issue, link: RemoteLink) -> dict[str, Any]:
    """A remote link."""
    data: dict[str, Any] = {
        "id": link.id,
        "self": ctx.url(f"issue/{issue.key}/remotelink/{link.id}"),
        "application": link.application or {},
        "object": link.object,
    }
    if link.global_id:
        data["globalId"] = link.global_id
    if link.relationship:
        data["relationship"] = link.relationship
    return data
