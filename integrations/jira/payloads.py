"""Build create-issue field payloads (pure): ids, labels, fixVersion and epic parent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.errors import TrackerRejected
from integrations.jira.config import JiraProjectConfig
from integrations.jira.mapping import clean_label, key_label, one_line
from integrations.jira.meta import EpicFields, ProjectMeta
from integrations.tracker import ItemSpec


@dataclass(frozen=True)
class CreateContext:
    """What every create payload of one project needs; `epic_fields` only on Data Center."""

    config: JiraProjectConfig
    meta: ProjectMeta
    epic_fields: EpicFields | None = None


def labels_for(spec: ItemSpec, config: JiraProjectConfig) -> list[str]:
    """`controlbot`, the project's labels, the key label, then the spec's own labels."""
    try:
        marker = key_label(spec.key)
    except ValueError as exc:
        raise TrackerRejected(str(exc)) from exc
    extra = [clean_label(label) for label in spec.labels]
    return list(dict.fromkeys([*config.labels, marker, *(x for x in extra if x)]))


def _parent_fields(ctx: CreateContext, parent_key: str) -> dict[str, Any]:
    """Cloud `parent: {key}`; Data Center's Epic Link custom field."""
    if ctx.config.is_cloud:
        return {"parent": {"key": parent_key}}
    link = ctx.epic_fields.link if ctx.epic_fields else None
    if link is None:
        raise TrackerRejected("this Data Center site has no Epic Link field to link the epic")
    return {link: parent_key}


def issue_fields(
    spec: ItemSpec,
    ctx: CreateContext,
    *,
    epic: bool = False,
    version: str | None = None,
    parent_key: str | None = None,
) -> dict[str, Any]:
    """The `fields` of a create request for `spec` (a control, or the release epic)."""
    type_name = ctx.config.epic_type if epic else ctx.config.issue_type
    summary = one_line(spec.title)
    fields: dict[str, Any] = {
        "project": {"id": ctx.meta.id},
        "issuetype": {"id": ctx.meta.type_id(type_name)},
        "summary": summary,
        "description": spec.body,
        "labels": labels_for(spec, ctx.config),
    }
    if version := version or spec.milestone:
        version_id = ctx.meta.versions.get(version)
        fields["fixVersions"] = [{"id": version_id} if version_id else {"name": version}]
    if ctx.config.components:
        fields["components"] = [{"name": name} for name in ctx.config.components]
    if parent_key and not epic:
        fields |= _parent_fields(ctx, parent_key)
    if epic and not ctx.config.is_cloud and ctx.epic_fields and ctx.epic_fields.name:
        fields[ctx.epic_fields.name] = summary
    return fields
