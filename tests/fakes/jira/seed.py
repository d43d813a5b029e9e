"""Default content of the fake Jira: workflow, resolutions, fields and issue types."""

from __future__ import annotations

from .models import FieldDef, IssueType, Mode, Resolution, Status, Transition

EPIC_LINK = "customfield_10100"
EPIC_NAME = "customfield_10101"

TODO, IN_PROGRESS, DONE, WONT_DO = "To Do", "In Progress", "Done", "Won't Do"


def default_statuses() -> list[Status]:
    """To Do, In Progress, Done and Won't Do with their categories."""
    return [
        Status("10000", TODO, "new"),
        Status("10001", IN_PROGRESS, "indeterminate"),
        Status("10002", DONE, "done"),
        Status("10003", WONT_DO, "done"),
    ]


def default_transitions() -> list[Transition]:
    """To Do -> In Progress -> Done, back to To Do, any -> Won't Do, and Reopen."""
    return [
        Transition("11", TODO, TODO, frozenset({IN_PROGRESS})),
        Transition("21", IN_PROGRESS, IN_PROGRESS, frozenset({TODO})),
        Transition("31", DONE, DONE, frozenset({IN_PROGRESS}), resolution="Done"),
        Transition("41", WONT_DO, WONT_DO, resolution="Won't Do"),
        Transition("51", "Reopen", TODO, frozenset({DONE, WONT_DO}), clears_resolution=True),
    ]


def default_resolutions() -> list[Resolution]:
    """The resolutions a fresh Jira site has."""
    return [
        Resolution("10000", "Done", "Work has been completed on this issue."),
        Resolution("10001", "Won't Do", "This issue won't be actioned."),
        Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
        Resolution("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
    ]


def default_issue_types(mode: Mode) -> list[IssueType]:
    """Epic, Task and Story; on Data Center an Epic needs an Epic Name."""
    epic_required = frozenset({EPIC_NAME}) if mode == "dc" else frozenset()
    return [
        IssueType("10000", "Epic", hierarchy_level=1, required_fields=epic_required),
        IssueType("10001", "Task"),
        IssueType("10002", "Story"),
    ]


def _system(id: str, name: str, type_: str, clauses: tuple[str, ...], **extra: str) -> FieldDef:
    """A system field definition."""
    return FieldDef(id, name, {"type": type_, "system": id, **extra}, False, clauses)


def field_catalog(mode: Mode) -> list[FieldDef]:
    """What `GET field` lists; Data Center adds the Epic Link and Epic Name custom fields."""
    fields = [
        FieldDef("issuekey", "Key", {}, False, ("id", "issue", "issuekey", "key")),
        _system("summary", "Summary", "string", ("summary",)),
        _system("description", "Description", "string", ("description",)),
        _system("issuetype", "Issue Type", "issuetype", ("issuetype", "type")),
        _system("project", "Project", "project", ("project",)),
        _system("status", "Status", "status", ("status",)),
        _system("resolution", "Resolution", "resolution", ("resolution",)),
        _system("labels", "Labels", "array", ("labels",), items="string"),
        _system("fixVersions", "Fix Version/s", "array", ("fixVersion",), items="version"),
        _system("components", "Component/s", "array", ("component",), items="component"),
        _system("reporter", "Reporter", "user", ("reporter",)),
        _system("comment", "Comment", "comments-page", ("comment",)),
        _system("created", "Created", "datetime", ("created", "createdDate")),
        _system("updated", "Updated", "datetime", ("updated", "updatedDate")),
    ]
    if mode == "cloud":
        fields.append(_system("parent", "Parent", "issuelink", ("parent",)))
        return fields
    epic_link = {
        "type": "any",
        "custom": "com.pyxis.greenhopper.jira:gh-epic-link",
        "customId": 10100,
    }
    epic_name = {
        "type": "string",
        "custom": "com.pyxis.greenhopper.jira:gh-epic-label",
        "customId": 10101,
    }
    fields.append(FieldDef(EPIC_LINK, "Epic Link", epic_link, True, ("cf[10100]", "Epic Link")))
    fields.append(FieldDef(EPIC_NAME, "Epic Name", epic_name, True, ("cf[10101]", "Epic Name")))
    return fields


BASE_SCREEN = ("summary", "description", "labels", "fixVersions", "components")


def screen_fields(mode: Mode, issue_type: IssueType) -> tuple[str, ...]:
    """Fields the create/edit screen shows for this issue type (project and type excluded)."""
    if mode == "cloud":
        return (*BASE_SCREEN, "parent")
    if issue_type.hierarchy_level >= 1:
        return (*BASE_SCREEN, EPIC_NAME)
    return (*BASE_SCREEN, EPIC_LINK)
