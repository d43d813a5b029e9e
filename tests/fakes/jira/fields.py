"""Validate and normalise issue fields the way Jira's create and edit screens do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import Issue, IssueType, JiraHTTPError, Project
from .seed import EPIC_LINK, screen_fields

if TYPE_CHECKING:
    from .state import FakeJira

NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
LIST_FIELDS = ("labels", "fixVersions", "components")


def plain_text(value: Any) -> str | None:
    """A string as is, or the text of an Atlassian Document Format document (REST v3)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        parts = [plain_text(child) or "" for child in value.get("content", [])]
        joiner = "\n" if value.get("type") == "doc" else ""
        return str(value.get("text", "")) + joiner.join(parts)
    raise ValueError("Operation value must be a string")


def _ref(value: Any) -> tuple[str | None, str | None]:
    """The (id, name-or-key) of a `{"id": ...}`, `{"key": ...}` or `{"name": ...}` reference."""
    if not isinstance(value, dict):
        return None, None
    ident = value.get("id")
    label = value.get("key", value.get("name"))
    return (str(ident) if ident is not None else None), label


def resolve_project(fake: FakeJira, value: Any) -> Project:
    """The project a create request names, or a 400."""
    ident, key = _ref(value)
    for project in fake.projects.values():
        if project.id == ident or (key is not None and project.key == key):
            return project
    raise JiraHTTPError(400, errors={"project": "valid project is required"})


def resolve_issue_type(project: Project, value: Any) -> IssueType:
    """The issue type a create request names, or a 400."""
    ident, name = _ref(value)
    found = project.issue_type(id=ident, name=name)
    if value is None:
        raise JiraHTTPError(400, errors={"issuetype": "Specify an issue type"})
    if found is None:
        raise JiraHTTPError(400, errors={"issuetype": "valid issue type is required"})
    return found


def _versions(fake: FakeJira, project: Project, items: Any) -> list[str]:
    """Version ids for `[{"id"}|{"name"}]` within the project."""
    ids = []
    for item in items or []:
        ident, name = _ref(item)
        version = fake.find_version(project, ident, name)
        if version is None:
            shown = f"name '{name}'" if ident is None else f"id '{ident}'"
            raise ValueError(f"Version {shown} is not valid")
        ids.append(version.id)
    return ids


def _components(project: Project, items: Any) -> list[str]:
    """Component ids for `[{"id"}|{"name"}]` within the project."""
    by_id = {cid: name for name, cid in project.components.items()}
    ids = []
    for item in items or []:
        ident, name = _ref(item)
        cid = ident if ident in by_id else project.components.get(name or "")
        if cid is None:
            raise ValueError(f"Component name '{name or ident}' is not valid")
        ids.append(cid)
    return ids


def _labels(items: Any) -> list[str]:
    """Labels as strings; Jira refuses labels with spaces."""
    labels = [str(label) for label in items or []]
    for label in labels:
        if " " in label:
            raise ValueError(f"The label '{label}' contains spaces which is invalid.")
    return labels


def _summary(value: Any) -> str:
    """A one-line summary under 255 characters."""
    text = plain_text(value) or ""
    if "\n" in text:
        raise ValueError("The summary is invalid because it contains newline characters.")
    if len(text) > 255:
        raise ValueError("Summary must be less than 255 characters.")
    return text


def _parent(fake: FakeJira, issue_type: IssueType, value: Any) -> str | None:
    """The id of a Cloud parent one hierarchy level up."""
    if value is None:
        return None
    ident, key = _ref(value)
    parent = fake.lookup_issue(ident or key or "")
    if parent is None:
        raise ValueError("Could not find issue by id or key.")
    if fake.type_of(parent).hierarchy_level != issue_type.hierarchy_level + 1:
        raise ValueError("Given parent work item does not belong to appropriate hierarchy.")
    return parent.id


def _epic_link(fake: FakeJira, value: Any) -> str | None:
    """The key of a Data Center epic named through the Epic Link field."""
    if value in (None, ""):
        return None
    epic = fake.lookup_issue(str(value))
    if epic is None or fake.type_of(epic).name != "Epic":
        raise ValueError(f"The issue '{value}' is not an Epic.")
    return epic.key


def normalise(
    fake: FakeJira, project: Project, issue_type: IssueType, name: str, value: Any
) -> Any:
    """The stored form of one field value (ValueError with Jira's message when invalid)."""
    if name == "summary":
        return _summary(value)
    if name == "labels":
        return _labels(value)
    if name == "fixVersions":
        return _versions(fake, project, value)
    if name == "components":
        return _components(project, value)
    if name == "parent":
        return _parent(fake, issue_type, value)
    if name == EPIC_LINK:
        return _epic_link(fake, value)
    return plain_text(value)


def _required_message(fake: FakeJira, field_id: str) -> str:
    """Jira's message for a missing required field."""
    if field_id == "summary":
        return "You must specify a summary of the issue."
    return f"{fake.field_name(field_id)} is required."


def validate_create(
    fake: FakeJira, fields: dict[str, Any]
) -> tuple[Project, IssueType, dict[str, Any]]:
    """Check a create request's fields; returns the project, type and stored values or 400s."""
    project = resolve_project(fake, fields.get("project"))
    issue_type = resolve_issue_type(project, fields.get("issuetype"))
    allowed = set(screen_fields(fake.mode, issue_type))
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if name in ("project", "issuetype"):
            continue
        if name not in allowed:
            errors[name] = NOT_ON_SCREEN.format(name)
            continue
        try:
            values[name] = normalise(fake, project, issue_type, name, value)
        except ValueError as exc:
            errors[name] = str(exc)
    required = {"summary"} | set(issue_type.required_fields) | project.required_fields
    for field_id in sorted(required):
        if field_id not in errors and values.get(field_id) in (None, "", []):
            errors[field_id] = _required_message(fake, field_id)
    if errors:
        raise JiraHTTPError(400, errors=errors)
    return project, issue_type, values


def _apply_ops(
    fake: FakeJira, staged: dict[str, Any], project: Project, it: IssueType, name: str, ops: Any
) -> None:
    """Apply `update: {field: [{add|remove|set: value}]}` operations to one staged field."""
    for op in ops:
        (verb, value), *_ = op.items()
        if verb == "set" or name not in LIST_FIELDS:
            staged[name] = normalise(fake, project, it, name, value)
            continue
        [item] = normalise(fake, project, it, name, [value])
        current = list(staged.get(name) or [])
        if verb == "add" and item not in current:
            current.append(item)
        elif verb == "remove" and item in current:
            current.remove(item)
        staged[name] = current


def apply_edit(fake: FakeJira, issue: Issue, payload: dict[str, Any]) -> list[str]:
    """Apply a `PUT issue` body; returns comment bodies to add, or raises 400."""
    project = fake.projects[issue.project_key]
    issue_type = fake.type_of(issue)
    allowed = set(screen_fields(fake.mode, issue_type))
    updates = dict(payload.get("update") or {})
    comments = [plain_text(op["add"]["body"]) or "" for op in updates.pop("comment", [])]
    errors: dict[str, str] = {}
    for name in [*(payload.get("fields") or {}), *updates]:
        if name not in allowed:
            errors[name] = NOT_ON_SCREEN.format(name)
    if errors:
        raise JiraHTTPError(400, errors=errors)
    staged = dict(issue.fields)
    try:
        for name, value in (payload.get("fields") or {}).items():
            staged[name] = normalise(fake, project, issue_type, name, value)
        for name, ops in updates.items():
            _apply_ops(fake, staged, project, issue_type, name, ops)
    except ValueError as exc:
        raise JiraHTTPError(400, errors={name: str(exc)}) from exc
    if not staged.get("summary"):
        raise JiraHTTPError(400, errors={"summary": "You must specify a summary of the issue."})
    issue.fields = staged
    return comments
