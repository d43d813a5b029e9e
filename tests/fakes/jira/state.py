"""The fake Jira's state: projects, issues and versions, plus switches tests flip."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from . import fields as field_rules
from . import jql, workflow
from .controls import Controls
from .models import (
    Comment,
    Issue,
    IssueType,
    JiraHTTPError,
    Mode,
    Project,
    RemoteLink,
    Resolution,
    StatusChange,
    Transition,
    Version,
)
from .people import People
from .seed import (
    default_issue_types,
    default_resolutions,
    default_statuses,
    default_transitions,
    field_catalog,
)
from .versions import VersionStore

NO_ISSUE = "Issue does not exist or you do not have permission to see it."


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format, e.g. `2026-11-22T10:00:00.000+0000`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class FakeJira(Controls, VersionStore, People):
    """One fake Jira site (Cloud or Data Center) with its data and failure switches."""

    DEFAULT_PROJECT = "CTRL"

    def __init__(
        self,
        mode: Mode = "cloud",
        *,
        email: str = "bot@example.com",
        api_token: str = "cloud-api-token",
        pat: str = "dc-personal-access-token",
        clock: Callable[[], datetime] | None = None,
        page_cap: int = 50,
    ) -> None:
        self.mode: Mode = mode
        self.email, self.api_token, self.pat = email, api_token, pat
        self.clock = clock or (lambda: datetime.now(UTC))
        self.page_cap = page_cap
        self.lock = threading.RLock()
        self.reset()

    @property
    def is_cloud(self) -> bool:
        """Whether this fake plays Jira Cloud (else Data Center)."""
        return self.mode == "cloud"

    def reset(self) -> None:
        """Forget all data and switches; keep mode and credentials; re-seed project CTRL."""
        with self.lock:
            self.projects: dict[str, Project] = {}
            self.issues: dict[str, Issue] = {}
            self.versions: dict[str, Version] = {}
            self.resolutions: list[Resolution] = default_resolutions()
            self.fields = field_catalog(self.mode)
            self.reset_controls()
            self.reset_people()
            self._counters: dict[str, Iterator[int]] = {}
            self.add_project(self.DEFAULT_PROJECT, "Controls")

    def new_id(self, kind: str) -> str:
        """The next id for `kind` (issue, version, ...), starting at 10000."""
        counter = self._counters.setdefault(kind, itertools.count(10000))
        return str(next(counter))

    def now(self) -> str:
        """The current time in Jira's format."""
        return jira_time(self.clock())

    @property
    def current_user(self) -> dict[str, Any]:
        """The authenticated user's identity: accountId on Cloud, name/key on Data Center."""
        if self.is_cloud:
            return {"accountId": "557058:0f6c5a3e-bot", "emailAddress": self.email}
        return {"name": "controlbot", "key": "JIRAUSER10000", "emailAddress": self.email}

    # -- projects, fields, versions ---------------------------------------------------

    def add_project(
        self, key: str, name: str | None = None, required_fields: Iterable[str] = ()
    ) -> Project:
        """Create a project with Epic/Task/Story and the default workflow."""
        with self.lock:
            project = Project(
                id=self.new_id("project"),
                key=key,
                name=name or key.title(),
                issue_types=default_issue_types(self.mode),
                statuses=default_statuses(),
                transitions=default_transitions(),
                required_fields=set(required_fields),
            )
            self.projects[key] = project
            return project

    def require_field(self, project_key: str, field_id: str) -> None:
        """Make `field_id` required on every create screen of the project."""
        with self.lock:
            self.projects[project_key].required_fields.add(field_id)

    def add_component(self, project_key: str, name: str) -> str:
        """Add a component to a project; returns its id."""
        with self.lock:
            cid = self.new_id("component")
            self.projects[project_key].components[name] = cid
            return cid

    def field_name(self, field_id: str) -> str:
        """The display name of a field id."""
        return next((f.name for f in self.fields if f.id == field_id), field_id)

    def get_project(self, ref: str) -> Project:
        """The project with this key or id, or a 404."""
        for project in self.projects.values():
            if ref in (project.key, project.id):
                return project
        raise JiraHTTPError(404, [f"No project could be found with key '{ref}'."])

    # -- issues ---------------------------------------------------------------------

    def lookup_issue(self, ref: str) -> Issue | None:
        """An issue by id or key (keys are case-insensitive)."""
        if ref in self.issues:
            return self.issues[ref]
        return next((i for i in self.issues.values() if i.key.lower() == ref.lower()), None)

    def get_issue(self, ref: str) -> Issue:
        """An issue by id or key, or a 404."""
        issue = self.lookup_issue(ref)
        if issue is None:
            raise JiraHTTPError(404, [NO_ISSUE])
        return issue

    def issue(self, key: str) -> Issue:
        """Test helper: the stored issue with this key."""
        return self.get_issue(key)

    def type_of(self, issue: Issue) -> IssueType:
        """The issue type of a stored issue."""
        found = self.projects[issue.project_key].issue_type(id=issue.issue_type_id)
        assert found is not None, issue.issue_type_id
        return found

    def parent_refs(self, issue: Issue) -> list[str]:
        """The key and id of a Cloud parent, for JQL."""
        parent = self.issues.get(issue.fields.get("parent") or "")
        return [parent.key, parent.id] if parent else []

    def create_issue(self, fields: dict[str, Any]) -> Issue:
        """Validate and store a new issue in its workflow's first status; 400 on bad fields."""
        with self.lock:
            project, issue_type, values = field_rules.validate_create(self, fields)
            stamp = self.now()
            issue = Issue(
                id=self.new_id("issue"),
                key=f"{project.key}-{project.next_number}",
                project_key=project.key,
                issue_type_id=issue_type.id,
                status=project.statuses[0].name,
                created=stamp,
                updated=stamp,
                fields=values,
            )
            project.next_number += 1
            self.issues[issue.id] = issue
            return issue

    def edit_issue(self, ref: str, payload: dict[str, Any]) -> None:
        """Apply a `PUT issue/{key}` body."""
        with self.lock:
            issue = self.get_issue(ref)
            for body in field_rules.apply_edit(self, issue, payload):
                self.add_comment(issue.key, body)
            issue.updated = self.now()

    def assign(self, ref: str, body: dict[str, Any]) -> None:
        """Apply a `PUT issue/{key}/assignee` body: 404 for the issue, 400 for the user."""
        with self.lock:
            issue = self.get_issue(ref)
            issue.fields["assignee"] = self.assignee_for(body)
            issue.updated = self.now()

    def delete_issue(self, ref: str) -> None:
        """Delete an issue."""
        with self.lock:
            del self.issues[self.get_issue(ref).id]

    def add_comment(self, ref: str, body: Any, author: str | None = None) -> Comment:
        """Add a comment to an issue (by the bot, or by `author` added with `add_user`)."""
        with self.lock:
            issue = self.get_issue(ref)
            text = field_rules.plain_text(body)
            if not text:
                raise JiraHTTPError(400, errors={"comment": "Comment body can not be empty!"})
            stamp = self.now()
            comment = Comment(self.new_id("comment"), text, stamp, stamp, author)
            issue.comments.append(comment)
            issue.updated = stamp
            return comment

    def upsert_remote_link(self, ref: str, body: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Create a remote link, or update the one with the same `globalId`; True if created."""
        with self.lock:
            issue = self.get_issue(ref)
            obj = body.get("object") or {}
            if not obj.get("url") or not obj.get("title"):
                errors = {k: f"'{k}' is required." for k in ("url", "title") if not obj.get(k)}
                raise JiraHTTPError(400, errors=errors)
            global_id = body.get("globalId")
            for link in issue.remote_links:
                if global_id and link.global_id == global_id:
                    link.object, link.application = obj, body.get("application")
                    link.relationship = body.get("relationship")
                    return link, False
            link = RemoteLink(
                int(self.new_id("remotelink")),
                global_id,
                obj,
                body.get("application"),
                body.get("relationship"),
            )
            issue.remote_links.append(link)
            return link, True

    def search(self, query: str) -> list[Issue]:
        """Issues matching a JQL query (see `jql.py` for the subset), in key order."""
        with self.lock:
            return jql.select(self, query)

    # -- workflow -------------------------------------------------------------------

    def transitions_for(self, ref: str) -> tuple[Issue, list[Transition]]:
        """The issue and the transitions available from its current status."""
        with self.lock:
            issue = self.get_issue(ref)
            return issue, workflow.available(self, issue)

    def do_transition(self, ref: str, payload: dict[str, Any]) -> StatusChange:
        """Perform a `POST issue/{key}/transitions` body."""
        with self.lock:
            return workflow.perform(self, self.get_issue(ref), payload)

    def transition(self, key: str, status_name: str) -> StatusChange:
        """Test helper: move an issue like a user would (ValueError if the workflow forbids it)."""
        with self.lock:
            return workflow.move_like_user(self, self.get_issue(key), status_name)

    def set_status(self, key: str, status_name: str) -> StatusChange:
        """Test helper: force a status, ignoring the workflow; done statuses get a resolution."""
        with self.lock:
            return workflow.force(self, self.get_issue(key), status_name)
