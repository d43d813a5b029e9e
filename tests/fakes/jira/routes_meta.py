"""Site metadata routes: serverInfo, myself, fields, projects, issue types, createmeta, versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from . import render, render_issue
from .deps import CtxDep, json_body
from .models import JiraHTTPError, Project
from .render import Ctx
from .seed import screen_fields

router = APIRouter()


@router.get("/serverInfo")
async def server_info(c: CtxDep) -> dict[str, Any]:
    """Cloud reports `deploymentType: Cloud` and 1001.x; Data Center reports `Server` and 9.x."""
    if c.fake.is_cloud:
        version, numbers, build, kind = "1001.0.0-SNAPSHOT", [1001, 0, 0], 100290, "Cloud"
    else:
        version, numbers, build, kind = "9.12.15", [9, 12, 15], 9120015, "Server"
    return {
        "baseUrl": c.base,
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": kind,
        "buildNumber": build,
        "buildDate": "2026-01-05T00:00:00.000+0000",
        "serverTime": c.fake.now(),
        "scmInfo": "0f6c5a3e9b1d2c4e5f60718293a4b5c6d7e8f901",
        "serverTitle": "Jira",
    }


@router.get("/myself")
async def myself(c: CtxDep) -> dict[str, Any]:
    """The authenticated user."""
    return render.user(c)


@router.get("/field")
async def fields(c: CtxDep) -> list[dict[str, Any]]:
    """All fields, including Epic Link/Epic Name custom fields on Data Center."""
    return [render_issue.field(f) for f in c.fake.fields]


@router.get("/project")
async def projects(c: CtxDep) -> list[dict[str, Any]]:
    """All projects (summary form)."""
    return [render.project(c, p, detail=False) for p in c.fake.projects.values()]


@router.get("/project/{ref}")
async def project(c: CtxDep, ref: str) -> dict[str, Any]:
    """One project by key or id, with its issue types (`expand=issueTypes` or not)."""
    return render.project(c, c.fake.get_project(ref))


@router.get("/project/{ref}/versions")
async def project_versions(c: CtxDep, ref: str) -> list[dict[str, Any]]:
    """A project's versions."""
    p = c.fake.get_project(ref)
    return [render.version(c, v) for v in c.fake.versions.values() if v.project_id == p.id]


@router.get("/issuetype")
async def issue_types(c: CtxDep) -> list[dict[str, Any]]:
    """Every issue type used by any project."""
    seen = {it.id: it for p in c.fake.projects.values() for it in p.issue_types}
    return [render.issue_type(c, it) for it in seen.values()]


@router.get("/issuetype/{ident}")
async def issue_type(c: CtxDep, ident: str) -> dict[str, Any]:
    """One issue type."""
    for p in c.fake.projects.values():
        if (it := p.issue_type(id=ident)) is not None:
            return render.issue_type(c, it)
    raise JiraHTTPError(404, [f"The issue type with id '{ident}' does not exist"])


@router.get("/resolution")
async def resolutions(c: CtxDep) -> list[dict[str, Any]]:
    """All resolutions."""
    return [render.resolution(c, r) for r in c.fake.resolutions]


def _page(c: Ctx, request: Request, items: list[Any], cloud_key: str) -> dict[str, Any]:
    """A createmeta page: `values` on Data Center, `cloud_key` on Cloud."""
    start = int(request.query_params.get("startAt", 0))
    size = int(request.query_params.get("maxResults", 50))
    chunk = items[start : start + size]
    page = {"maxResults": size, "startAt": start, "total": len(items)}
    if c.fake.is_cloud:
        return page | {cloud_key: chunk}
    return page | {"isLast": start + size >= len(items), "values": chunk}


@router.get("/issue/createmeta/{ref}/issuetypes")
async def createmeta_types(c: CtxDep, request: Request, ref: str) -> dict[str, Any]:
    """The issue types one can create in a project."""
    p = c.fake.get_project(ref)
    return _page(c, request, [render.issue_type(c, it) for it in p.issue_types], "issueTypes")


def _allowed(c: Ctx, p: Project, field_id: str, type_id: str) -> list[Any] | None:
    """allowedValues for the fields that have them."""
    if field_id == "project":
        return [render.project(c, p, detail=False)]
    if field_id == "issuetype":
        return [render.issue_type(c, it) for it in p.issue_types if it.id == type_id]
    if field_id == "fixVersions":
        return [render.version(c, v) for v in c.fake.versions.values() if v.project_id == p.id]
    if field_id == "components":
        return [render.component(c, cid, name) for name, cid in p.components.items()]
    return None


@router.get("/issue/createmeta/{ref}/issuetypes/{type_id}")
async def createmeta_fields(c: CtxDep, request: Request, ref: str, type_id: str) -> dict[str, Any]:
    """The create-screen fields of one issue type, each with `required`."""
    p = c.fake.get_project(ref)
    it = p.issue_type(id=type_id)
    if it is None:
        raise JiraHTTPError(404, [f"Issue type with id '{type_id}' does not exist in project."])
    required = {"project", "issuetype", "summary"} | set(it.required_fields) | p.required_fields
    by_id = {f.id: f for f in c.fake.fields}
    items = [
        render_issue.field_meta(
            c, by_id[fid], required=fid in required, allowed=_allowed(c, p, fid, it.id)
        )
        for fid in ("project", "issuetype", *screen_fields(c.fake.mode, it))
    ]
    return _page(c, request, items, "fields")


@router.post("/version")
async def create_version(c: CtxDep, request: Request) -> JSONResponse:
    """Create a version (201)."""
    version = c.fake.create_version(await json_body(request))
    return JSONResponse(render.version(c, version), status_code=201)


@router.get("/version/{ident}")
async def get_version(c: CtxDep, ident: str) -> dict[str, Any]:
    """One version."""
    return render.version(c, c.fake.get_version(ident))


@router.put("/version/{ident}")
async def put_version(c: CtxDep, request: Request, ident: str) -> dict[str, Any]:
    """Update a version (name, released, releaseDate, ...)."""
    return render.version(c, c.fake.edit_version(ident, await json_body(request)))
