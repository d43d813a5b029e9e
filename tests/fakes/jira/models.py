"""Plain records held by the fake Jira: projects, workflow, issues and their children."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["cloud", "dc"]
CategoryKey = Literal["new", "indeterminate", "done"]


class JiraHTTPError(Exception):
    """An error answer in Jira's shape: `{errorMessages: [...], errors: {field: msg}}`."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}
        super().__init__(f"{status}: {self.messages} {self.errors}")

    def body(self) -> dict[str, Any]:
        """The JSON body Jira sends with this error."""
        return {"errorMessages": list(self.messages), "errors": dict(self.errors)}


@dataclass(frozen=True)
class Status:
    """A workflow status with its category (`new`, `indeterminate` or `done`)."""

    id: str
    name: str
    category: CategoryKey


@dataclass(frozen=True)
class Transition:
    """A workflow transition; `sources` empty means global (available from any other status)."""

    id: str
    name: str
    to: str
    sources: frozenset[str] = frozenset()
    resolution: str | None = None
    clears_resolution: bool = False

    def available_from(self, status_name: str) -> bool:
        """Whether the transition can be taken from `status_name`."""
        if self.sources:
            return status_name in self.sources
        return status_name != self.to


@dataclass(frozen=True)
class Resolution:
    """A resolution such as Done or Won't Do."""

    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class IssueType:
    """An issue type; `required_fields` are field ids the create screen insists on."""

    id: str
    name: str
    hierarchy_level: int = 0
    required_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldDef:
    """A field from `GET field`; `schema` is Jira's schema object."""

    id: str
    name: str
    schema: dict[str, Any]
    custom: bool = False
    clause_names: tuple[str, ...] = ()


@dataclass
class Project:
    """A project with its issue types, workflow and extra required create fields."""

    id: str
    key: str
    name: str
    issue_types: list[IssueType]
    statuses: list[Status]
    transitions: list[Transition]
    required_fields: set[str] = field(default_factory=set)
    components: dict[str, str] = field(default_factory=dict)
    next_number: int = 1

    def issue_type(self, *, id: str | None = None, name: str | None = None) -> IssueType | None:
        """The issue type with this id or name, if the project has it."""
        for it in self.issue_types:
            if (id is not None and it.id == str(id)) or (name is not None and it.name == name):
                return it
        return None

    def status(self, name: str) -> Status:
        """The status called `name` (KeyError when the workflow lacks it)."""
        for st in self.statuses:
            if st.name.lower() == name.lower():
                return st
        raise KeyError(name)


@dataclass
class Version:
    """A project version (a fixVersion)."""

    id: str
    project_id: str
    name: str
    description: str | None = None
    released: bool = False
    archived: bool = False
    release_date: str | None = None
    start_date: str | None = None


@dataclass
class Comment:
    """An issue comment."""

    id: str
    body: Any
    created: str
    updated: str
    author: str | None = None  # a person added with `add_user`; None is the bot


@dataclass
class RemoteLink:
    """A remote link; `global_id` makes a repeated POST an update."""

    id: int
    global_id: str | None
    object: dict[str, Any]
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass
class Issue:
    """An issue; `fields` holds the editable values, workflow state is kept apart."""

    id: str
    key: str
    project_key: str
    issue_type_id: str
    status: str
    created: str
    updated: str
    fields: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolution_date: str | None = None
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The numeric part of the key, for stable ordering."""
        return int(self.key.rsplit("-", 1)[1])


@dataclass
class Fault:
    """A scheduled error answer: `remaining` more requests matching `path_pattern` get it."""

    status: int
    remaining: int
    retry_after: int | None = None
    path_pattern: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake received, with the status it answered."""

    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True)
class StatusChange:
    """What a `jira:issue_updated` webhook would carry for a status change."""

    key: str
    issue_id: str
    from_status: Status
    to_status: Status
    resolution: str | None

    def changelog_item(self) -> dict[str, Any]:
        """The changelog item Jira puts in the webhook for this change."""
        return {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": self.from_status.id,
            "fromString": self.from_status.name,
            "to": self.to_status.id,
            "toString": self.to_status.name,
        }
