"""Project and field metadata read once per tracker: ids that spare the library's extra GETs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.errors import TrackerRejected

EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-label"


def _by_name(items: Any) -> dict[str, str]:
    """`{name: id}` of a list of `{id, name}` objects."""
    return {str(i["name"]): str(i["id"]) for i in items or [] if "name" in i and "id" in i}


@dataclass(frozen=True)
class ProjectMeta:
    """A project's id, and its issue types, components and versions by name."""

    id: str
    key: str
    issue_types: Mapping[str, str]
    components: Mapping[str, str]
    versions: Mapping[str, str]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ProjectMeta:
        """Parse `GET project/{key}`."""
        return cls(
            id=str(raw["id"]),
            key=str(raw["key"]),
            issue_types=_by_name(raw.get("issueTypes")),
            components=_by_name(raw.get("components")),
            versions=_by_name(raw.get("versions")),
        )

    def find_type(self, name: str) -> str | None:
        """The id of the issue type called `name` (case-insensitive), if the project has it."""
        for type_name, type_id in self.issue_types.items():
            if type_name.casefold() == name.casefold():
                return type_id
        return None

    def type_id(self, name: str) -> str:
        """The id of the issue type called `name`, or TrackerRejected."""
        found = self.find_type(name)
        if found is None:
            have = ", ".join(sorted(self.issue_types)) or "none"
            raise TrackerRejected(f"project {self.key} has no issue type {name!r} (has: {have})")
        return found


@dataclass(frozen=True)
class EpicFields:
    """Data Center's Epic Link and Epic Name custom field ids (None where the site lacks one)."""

    link: str | None = None
    name: str | None = None

    @classmethod
    def from_fields(cls, fields: Sequence[Mapping[str, Any]]) -> EpicFields:
        """Find them in `GET field` by their Jira Software schema types, not by display name."""
        found: dict[str, str] = {}
        for item in fields:
            custom = (item.get("schema") or {}).get("custom")
            if custom in (EPIC_LINK_SCHEMA, EPIC_NAME_SCHEMA):
                found.setdefault(custom, str(item["id"]))
        return cls(found.get(EPIC_LINK_SCHEMA), found.get(EPIC_NAME_SCHEMA))
