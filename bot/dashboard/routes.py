"""Dashboard pages: the portfolio, a release, a control across releases, and the audit log.

Every page needs a signed-in browser (`Viewer`) and shows only the releases of the viewer's
workspaces; a release or control outside them is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.access import Viewer, now_utc
from bot.dashboard.charts import (
    burndown_chart,
    burndown_summary,
    function_chart,
    function_completion,
)
from bot.dashboard.filters import BadFilter, ReleaseFilters, owners
from bot.web import page
from control_catalog import Function, Priority
from workflows.burndown import burndown
from workflows.history import audit_page, control_history, find_visible_release, release_timelines
from workflows.portfolio import portfolio_rows
from workflows.reports import ReleaseReport, ReportRow, build_report
from workflows.status import ControlStatus

router = APIRouter(include_in_schema=False)
EXPORT_FORMATS = ("md", "csv", "json", "oscal")


def _error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """An error page (not found, bad filter) in the dashboard's layout."""
    return page(request, "dashboard/error.html", status, title=title, message=message)


def _not_found(request: Request, what: str) -> HTMLResponse:
    """The same 404 for what does not exist and what the viewer may not see."""
    return _error(request, 404, "Not found", f"No {what} here, or not one you can see.")


@router.get("/", response_class=HTMLResponse)
def portfolio(request: Request, viewer: Viewer) -> HTMLResponse:
    """Every visible release with its completion, high-priority share, overdue count and gate."""
    today = now_utc().date()
    with Session(request.app.state.engine) as session:
        rows = portfolio_rows(session=session, principal=viewer, today=today)
    return page(request, "dashboard/portfolio.html", rows=rows, today=today)


def _grouped(rows: list[ReportRow]) -> list[tuple[Function, list[ReportRow]]]:
    """Rows grouped by function, in the functions' order, empty groups left out."""
    groups = [(f, [r for r in rows if r.function is f]) for f in Function]
    return [(f, members) for f, members in groups if members]


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(
    request: Request,
    release_id: int,
    viewer: Viewer,
    status: str | None = None,
    function: str | None = None,
    priority: str | None = None,
    owner: str | None = None,
) -> HTMLResponse:
    """A release's controls grouped by function, filterable, with charts and export links."""
    try:
        filters = ReleaseFilters.parse(
            status=status, function=function, priority=priority, owner=owner
        )
    except BadFilter as exc:
        return _error(request, 400, "Bad filter", str(exc))
    now = now_utc()
    with Session(request.app.state.engine) as session:
        release = find_visible_release(session=session, principal=viewer, release_id=release_id)
        if release is None:
            return _not_found(request, "release")
        report = build_report(session=session, release=release, now=now)
        timelines = release_timelines(session=session, release_id=release_id)
    chart = burndown(
        timelines, created=release.created_at.date(), target=release.target_date, today=now.date()
    )
    return page(
        request,
        "dashboard/release.html",
        release_id=release_id,
        report=report,
        groups=_grouped(filters.apply(report.rows)),
        filters=filters,
        **_choices(report),
        function_svg=function_chart(
            function_completion((r.function, r.status) for r in report.rows)
        ),
        burndown_svg=burndown_chart(chart, today=now.date()),
        burndown_text=burndown_summary(chart),
        exports=EXPORT_FORMATS,
    )


def _choices(report: ReleaseReport) -> dict[str, Any]:
    """The options of the filter form's selects."""
    return {
        "statuses": list(ControlStatus),
        "functions": list(Function),
        "priorities": list(Priority),
        "owners": owners(report.rows),
    }


@router.get("/controls/{control_id}", response_class=HTMLResponse)
def control_page(
    request: Request,
    control_id: str,
    viewer: Viewer,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """One control across the visible releases: status, owner, due date and its changes."""
    with Session(request.app.state.engine) as session:
        history = control_history(
            session=session, principal=viewer, control_id=control_id, page=page_number
        )
    if not history.entries:
        return _not_found(request, "control")
    return page(request, "dashboard/control.html", control_id=control_id, history=history)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    viewer: Viewer,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    release: int | None = None,
    actor: str | None = None,
) -> HTMLResponse:
    """Status changes in the visible releases, newest first, a page at a time."""
    who = (actor or "").strip() or None
    with Session(request.app.state.engine) as session:
        found = (
            find_visible_release(session=session, principal=viewer, release_id=release)
            if release is not None
            else None
        )
        if release is not None and found is None:
            return _not_found(request, "release")
        log = audit_page(
            session=session, principal=viewer, page=page_number, release_id=release, actor=who
        )
    return page(request, "dashboard/audit.html", log=log, release=found, actor=who or "")
