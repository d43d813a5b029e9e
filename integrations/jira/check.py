"""Setup check of one Jira project for `controlbot jira check`: problems, as sentences."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from integrations.errors import ItemNotFound, TrackerAuthError, TrackerRejected
from integrations.jira.api import JiraApi
from integrations.jira.config import JiraProjectConfig
from integrations.jira.meta import EpicFields, ProjectMeta

ALWAYS_FILLED = ("project", "issuetype", "summary", "description", "labels", "fixVersions")
META_PAGE = 100


def create_fields(api: JiraApi, project_key: str, type_id: str) -> list[dict[str, Any]]:
    """The create-screen fields of one issue type (`createmeta`, paged; Cloud and DC 8.4+)."""
    path = f"issue/createmeta/{project_key}/issuetypes/{type_id}"
    fields: list[dict[str, Any]] = []
    while True:
        page = api.get(path, {"startAt": len(fields), "maxResults": META_PAGE})
        batch = page.get("fields") or page.get("values") or []
        fields += batch
        total = int(page.get("total") or 0)
        if not batch or page.get("isLast") or len(fields) >= total:
            return fields


def filled_fields(config: JiraProjectConfig, epic_fields: EpicFields, *, epic: bool) -> set[str]:
    """Field ids controlbot sets when creating a control (or, with `epic`, the release epic)."""
    filled = set(ALWAYS_FILLED)
    if config.components:
        filled.add("components")
    if config.is_cloud:
        if not epic:
            filled.add("parent")
    elif epic and epic_fields.name:
        filled.add(epic_fields.name)
    elif not epic and epic_fields.link:
        filled.add(epic_fields.link)
    return filled


def screen_problems(
    type_name: str, screen: Iterable[dict[str, Any]], filled: set[str]
) -> list[str]:
    """Required fields we leave empty, and fields we set that the screen lacks."""
    problems: list[str] = []
    on_screen: set[str] = set()
    for item in screen:
        field_id = str(item.get("fieldId") or item.get("key"))
        on_screen.add(field_id)
        if item.get("required") and not item.get("hasDefaultValue") and field_id not in filled:
            problems.append(
                f"{type_name}: required field {item.get('name', field_id)!r} ({field_id}) "
                "is not filled by controlbot"
            )
    for field_id in sorted(filled - on_screen - {"project", "issuetype"}):
        problems.append(f"{type_name}: field {field_id!r} is not on the create screen")
    return problems


def _project(api: JiraApi, key: str) -> ProjectMeta | str:
    """The project's metadata, or the problem that prevents reading it."""
    try:
        return ProjectMeta.from_json(api.get(f"project/{key}"))
    except TrackerAuthError as exc:
        return f"no access to Jira project {key}: {exc}"
    except ItemNotFound:
        return f"Jira project {key} does not exist or this user cannot see it"


def _resolution_problems(api: JiraApi, config: JiraProjectConfig) -> list[str]:
    """Whether any of the N/A resolutions exists on the site."""
    names = {str(r.get("name", "")).casefold() for r in api.get("resolution") or []}
    if any(name.casefold() in names for name in config.na_resolutions):
        return []
    wanted = ", ".join(config.na_resolutions) or "none configured"
    return [f"none of the not-applicable resolutions exist on the site ({wanted})"]


def check_project(api: JiraApi, config: JiraProjectConfig) -> list[str]:
    """Everything that would stop controlbot from creating and moving issues in the project."""
    meta = _project(api, config.project_key)
    if isinstance(meta, str):
        return [meta]
    problems: list[str] = []
    epic_fields = EpicFields() if config.is_cloud else EpicFields.from_fields(api.get("field"))
    if not config.is_cloud and epic_fields.link is None:
        problems.append("no Epic Link field on this Data Center site (Jira Software missing?)")
    problems += [
        f"component {name!r} does not exist in project {meta.key}"
        for name in config.components
        if name not in meta.components
    ]
    for type_name, epic in ((config.issue_type, False), (config.epic_type, True)):
        type_id = meta.find_type(type_name)
        if type_id is None:
            problems.append(f"issue type {type_name!r} is missing in project {meta.key}")
            continue
        try:
            screen = create_fields(api, meta.key, type_id)
        except (ItemNotFound, TrackerRejected) as exc:
            problems.append(f"{type_name}: cannot read the create screen: {exc}")
            continue
        problems += screen_problems(
            type_name, screen, filled_fields(config, epic_fields, epic=epic)
        )
    return problems + _resolution_problems(api, config)
