"""`/api/releases/{ref}/report`: a release's report as a download (Markdown, CSV, JSON, OSCAL)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from bot.access import Reader
from bot.api.lookup import visible_release
from workflows.report_formats import ReportFormat, render_report

router = APIRouter(prefix="/api/releases", tags=["exports"])


@router.get(
    "/{ref}/report",
    response_class=Response,
    responses={
        200: {"content": {"text/markdown": {}, "text/csv": {}, "application/json": {}}},
        401: {"description": "no or bad token"},
        404: {"description": "unknown release"},
    },
)
def report(
    ref: str, request: Request, caller: Reader, format: ReportFormat = ReportFormat.MD
) -> Response:
    """Download the release's report; `oscal` is an OSCAL assessment-results document."""
    with Session(request.app.state.engine) as session:
        release = visible_release(session, caller, ref)
        content, media_type, filename = render_report(
            session=session, release=release, fmt=format, now=datetime.now(UTC)
        )
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
