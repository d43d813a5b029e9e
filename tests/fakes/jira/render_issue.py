"""JSON shapes of issues, transitions and field metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import render
from .models import FieldDef, Issue, Transition
from .render import Ctx
from .seed import EPIC_LINK, EPIC_NAME

EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
ALL = {"*all", "*navigable"}


def field_filter(
    requested: Iterable[str] | None, *, default_all: bool = True
) -> Callable[[str], bool]:
    """Which fields to render for `?fields=a,b`, `*all`, `*navigable` and `-x` exclusions."""
    names = [n.strip() for item in (requested or []) for n in str(item).split(",") if n.strip()]
    excluded = {n[1:] for n in names if n.startswith("-")}
    included = {n for n in names if not n.startswith("-")}
    everything = (not included and default_all) or bool(included & ALL)
    return lambda name: name not in excluded and (everything or name in included)


def _parent(ctx: Ctx, issue: Issue) -> dict[str, Any] | None:
    """A Cloud `parent` value, or None."""
    parent = ctx.fake.issues.get(issue.fields.get("parent") or "")
    if parent is None:
        return None
    project = ctx.fake.projects[parent.project_key]
    fields = {
        "summary": parent.fields.get("summary"),
        "status": render.status(ctx, project.status(parent.status)),
        "issuetype": render.issue_type(ctx, ctx.fake.type_of(parent)),
    }
    return {
        "id": parent.id,
        "key": parent.key,
        "self": ctx.url(f"issue/{parent.id}"),
        "fields": fields,
    }


def _assignee(ctx: Ctx, issue: Issue) -> dict[str, Any] | None:
    """The assignee's user object (Cloud `accountId`, DC `name`), or None."""
    stored = issue.fields.get("assignee")
    if not stored:
        return None
    return ctx.fake.user_json(str(stored.get("accountId") or stored["name"]), ctx.base)


def all_fields(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    """Every field of an issue, rendered."""
    fake = ctx.fake
    project = fake.projects[issue.project_key]
    issue_type = fake.type_of(issue)
    resolution = next((r for r in fake.resolutions if r.name == issue.resolution), None)
    names = {cid: name for name, cid in project.components.items()}
    fields: dict[str, Any] = {
        "summary": issue.fields.get("summary"),
        "description": ctx.text(issue.fields.get("description")),
        "issuetype": render.issue_type(ctx, issue_type),
        "project": render.project(ctx, project, detail=False),
        "status": render.status(ctx, project.status(issue.status)),
        "resolution": render.resolution(ctx, resolution) if resolution else None,
        "resolutiondate": issue.resolution_date,
        "labels": list(issue.fields.get("labels") or []),
        "fixVersions": [
            render.version(ctx, fake.versions[v]) for v in issue.fields.get("fixVersions") or []
        ],
        "components": [
            render.component(ctx, c, names[c]) for c in issue.fields.get("components") or []
        ],
        "reporter": render.user(ctx),
        "creator": render.user(ctx),
        "assignee": _assignee(ctx, issue),
        "created": issue.created,
        "updated": issue.updated,
        "issuelinks": [],
        "subtasks": [],
        "comment": render.comment_page(ctx, issue),
    }
    if fake.is_cloud:
        fields["parent"] = _parent(ctx, issue)
        if fields["parent"] is None:
            del fields["parent"]
    else:
        fields[EPIC_LINK] = issue.fields.get(EPIC_LINK)
        fields[EPIC_NAME] = issue.fields.get(EPIC_NAME)
    return fields


def issue(ctx: Ctx, item: Issue, wanted: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """An issue with the fields `wanted` lets through (all by default)."""
    fields = {k: v for k, v in all_fields(ctx, item).items() if wanted is None or wanted(k)}
    return {
        "expand": EXPAND,
        "id": item.id,
        "self": ctx.url(f"issue/{item.id}"),
        "key": item.key,
        "fields": fields,
    }


def field_meta(
    ctx: Ctx, field: FieldDef, *, required: bool, allowed: list[Any] | None = None
) -> dict[str, Any]:
    """A field's create/transition-screen metadata."""
    data: dict[str, Any] = {
        "required": required,
        "schema": field.schema,
        "name": field.name,
        "fieldId": field.id,
        "key": field.id,
        "hasDefaultValue": False,
        "operations": ["set"] if field.schema.get("type") != "array" else ["add", "set", "remove"],
    }
    if allowed is not None:
        data["allowedValues"] = allowed
    return data


def field(f: FieldDef) -> dict[str, Any]:
    """A field as `GET field` lists it."""
    data: dict[str, Any] = {
        "id": f.id,
        "key": f.id,
        "name": f.name,
        "custom": f.custom,
        "orderable": f.id != "issuekey",
        "navigable": True,
        "searchable": True,
        "clauseNames": list(f.clause_names),
    }
    if f.schema:
        data["schema"] = f.schema
    if f.custom:
        data["untranslatedName"] = f.name
    return data


def transition(ctx: Ctx, item: Issue, t: Transition, *, with_fields: bool) -> dict[str, Any]:
    """A transition with its target status; screen fields when expanded."""
    project = ctx.fake.projects[item.project_key]
    data: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "to": render.status(ctx, project.status(t.to)),
        "hasScreen": t.resolution is not None,
        "isGlobal": not t.sources,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "isLooped": False,
    }
    if with_fields:
        data["fields"] = {}
        if t.resolution is not None:
            res_field = next(f for f in ctx.fake.fields if f.id == "resolution")
            allowed = [render.resolution(ctx, r) for r in ctx.fake.resolutions]
            data["fields"]["resolution"] = field_meta(
                ctx, res_field, required=True, allowed=allowed
            )
    return data
