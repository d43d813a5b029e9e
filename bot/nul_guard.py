"""Refuse NUL characters in a request's path or query with 400: PostgreSQL cannot store them."""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]
_BODY = json.dumps({"detail": "NUL characters are not allowed in the path or query"}).encode()


class NulGuard:
    """Pure ASGI middleware: one byte scan per request, nothing for requests without NULs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Answer 400 before routing when the path or query holds a NUL; else pass through."""
        if scope["type"] == "http" and _has_nul(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": _BODY})
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    """Whether the decoded path or the raw query string carries a NUL (raw or %00)."""
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope.get("path", "") or b"%00" in query.lower() or b"\x00" in query
