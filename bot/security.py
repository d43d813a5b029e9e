"""Webhook signature checks: HMAC-SHA256 of the raw body, compared in constant time (pure)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


class SignatureError(Exception):
    """The delivery's signature is missing or does not match; the body must not be trusted."""


def sign(body: bytes, secret: str) -> str:
    """The header value GitHub and Jira send: `sha256=<hex HMAC-SHA256 of body>`."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> None:
    """Raise SignatureError unless `header` is the body's HMAC under `secret`."""
    if not header:
        raise SignatureError("missing signature")
    if not header.startswith(PREFIX):
        raise SignatureError("signature must be sha256=<hex>")
    if not hmac.compare_digest(header.encode(), sign(body, secret).encode()):
        raise SignatureError("signature does not match")
