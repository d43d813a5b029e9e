"""`POST /webhooks/github`: verify, dedupe by delivery id, route to a handler; answers fast."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from bot.credentials import CredentialsError, github_app_config, webhook_secret
from bot.handlers import github_router
from bot.handlers.context import GitHubContext
from bot.intake import (
    BadPayload,
    Delivery,
    Handled,
    IgnoredEvent,
    answer,
    process,
    verified_payload,
)
from bot.settings import Settings
from integrations.github.events import PayloadError, parse_github_event

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/github", response_model=None)
async def github_webhook(request: Request) -> JSONResponse:
    """Receive one GitHub delivery (X-Hub-Signature-256, X-GitHub-Event, X-GitHub-Delivery)."""
    settings: Settings = request.app.state.settings
    try:
        secret = webhook_secret(settings)
    except CredentialsError as exc:
        return answer(503, detail=str(exc))
    payload = await verified_payload(
        request,
        secret=secret,
        signature_header="X-Hub-Signature-256",
        limit=settings.max_webhook_bytes,
    )
    if isinstance(payload, JSONResponse):
        return payload
    event = request.headers.get("X-GitHub-Event")
    delivery_id = request.headers.get("X-GitHub-Delivery")
    if not event or not delivery_id:
        return answer(400, detail="missing X-GitHub-Event or X-GitHub-Delivery header")
    action = payload.get("action")
    delivery = Delivery(
        "github", delivery_id, event, action if isinstance(action, str) else None, payload
    )

    def handle(session: Session, item: Delivery, now: datetime) -> Handled:
        return _dispatch(session, item, now, settings)

    return await run_in_threadpool(process, request.app.state.engine, delivery, handle)


def _dispatch(session: Session, delivery: Delivery, now: datetime, settings: Settings) -> Handled:
    """Parse the payload and run the handler registered for its event and action."""
    handler = github_router.handler_for(delivery.event, delivery.action)
    name = f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event
    if handler is None:
        raise IgnoredEvent(f"controlbot does not handle {name}")
    try:
        event = parse_github_event(delivery.event, delivery.payload)
    except PayloadError as exc:
        raise BadPayload(str(exc)) from None
    if event is None:
        raise IgnoredEvent(f"controlbot does not handle {name}")
    app = github_app_config(settings)
    slug = app.slug if app else settings.github_app_slug
    context = GitHubContext(session, now, slug, app.app_id if app else settings.github_app_id)
    result: Handled = handler(context, event)
    return result
