"""`POST /webhooks/jira`: verify, dedupe by webhook identifier, route to a handler; answers fast.

Jira admin webhooks with a secret sign the raw body as `X-Hub-Signature: sha256=<hex>` (not
`-256`). `X-Atlassian-Webhook-Identifier` is stable across retries, so it is the delivery id;
`X-Atlassian-Webhook-Retry` (the retry count) needs nothing more: a retry is a duplicate.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from bot.handlers import jira_router
from bot.handlers.jira_events import JiraContext
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
from integrations.jira import MalformedJiraEvent, parse_jira_event

router = APIRouter(tags=["webhooks"])
SIGNATURE = "X-Hub-Signature"
IDENTIFIER = "X-Atlassian-Webhook-Identifier"


@router.post("/webhooks/jira", response_model=None)
async def jira_webhook(request: Request) -> JSONResponse:
    """Receive one Jira delivery (X-Hub-Signature, X-Atlassian-Webhook-Identifier)."""
    settings: Settings = request.app.state.settings
    secret = settings.jira_webhook_secret
    payload = await verified_payload(
        request,
        secret=secret.get_secret_value() if secret else None,
        signature_header=SIGNATURE,
        limit=settings.max_webhook_bytes,
    )
    if isinstance(payload, JSONResponse):
        return payload
    delivery_id = request.headers.get(IDENTIFIER)
    if not delivery_id:
        return answer(400, detail=f"missing {IDENTIFIER} header")
    event = payload.get("webhookEvent")
    if not isinstance(event, str) or not event:
        return answer(400, detail="the payload has no webhookEvent")
    delivery = Delivery("jira", delivery_id, event, None, payload)
    return await run_in_threadpool(process, request.app.state.engine, delivery, _dispatch)


def _dispatch(session: Session, delivery: Delivery, now: datetime) -> Handled:
    """Parse the payload and run the handler registered for its event."""
    handler = jira_router.handler_for(delivery.event, None)
    if handler is None:
        raise IgnoredEvent(f"controlbot does not handle {delivery.event}")
    try:
        event = parse_jira_event(delivery.payload)
    except MalformedJiraEvent as exc:
        raise BadPayload(str(exc)) from None
    if event is None:
        raise IgnoredEvent(f"controlbot does not handle {delivery.event}")
    result: Handled = handler(JiraContext(session, now), event)
    return result
