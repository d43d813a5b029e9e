"""The App-manifest flow's last step: `POST /app-manifests/{code}/conversions` (no auth)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .fake import FakeGitHub
from .http import base_url, not_found
from .render import app_json


def router(fake: FakeGitHub) -> APIRouter:
    """The conversion route: a one-time code becomes the App's id, key and secrets."""
    api = APIRouter()

    @api.post("/app-manifests/{code}/conversions")
    async def convert(request: Request, code: str) -> JSONResponse:
        expires_at = fake.manifest_codes.pop(code, None)
        if expires_at is None or expires_at <= fake.now():
            raise not_found()
        fake.webhook_secret = secrets.token_hex(20)
        fake.client_secret = secrets.token_hex(20)
        data = app_json(base_url(request), fake.store.app) | {
            "client_secret": fake.client_secret,
            "webhook_secret": fake.webhook_secret,
            "pem": fake.private_key_pem,
        }
        return JSONResponse(data, status_code=201)

    return api
