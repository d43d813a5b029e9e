"""The middleware every request passes: auth, rate limits, injected faults, request log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from .auth import Caller, authenticate, check_permission
from .controls import Bucket, is_content_creating, is_issue_create
from .fake import FakeGitHub
from .http import GitHubError
from .state import RequestRecord

Handler = Callable[[Request], Awaitable[Response]]
PRIMARY_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-the-primary-rate-limit"
)
SECONDARY_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content"
    " creation. Please retry your request again later."
)
_SERVER_ERRORS = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _server_error(status: int) -> JSONResponse:
    message = _SERVER_ERRORS.get(status, "Server Error")
    return GitHubError(status, message).response()


async def _discard_body(response: Response) -> None:
    body = getattr(response, "body_iterator", None)
    if body is not None:
        async for _ in body:
            pass


async def _linger(request: Request, seconds: float) -> None:
    """Hold the answer back for `seconds`, stopping early once the client has hung up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(0.05, max(deadline - time.monotonic(), 0)))


class Gate:
    """Decides, before and after the route runs, what GitHub would have answered."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def _bucket(self, caller: Caller, path: str) -> Bucket:
        now = self.fake.now()
        if path.startswith("/search/"):
            return self.fake.primary.bucket(caller.key, "search", now)
        return self.fake.primary.open_core(caller.key, now)

    def _admit(self, request: Request, creating: bool) -> Caller:
        """Authenticate and charge the caller; raise GitHubError when GitHub would refuse."""
        fake, path, method = self.fake, request.url.path, request.method
        client = request.client.host if request.client else "unknown"
        request.state.bucket = fake.primary.open_core(f"anon:{client}", fake.now())
        header = request.headers.get("authorization", "")
        caller = authenticate(fake.store, path, header, client, fake.now())
        request.state.caller = caller
        request.state.bucket = bucket = self._bucket(caller, path)
        if path.rstrip("/") == "/rate_limit":
            return caller
        if bucket.used >= bucket.limit:
            who = f"installation ID {caller.installation_id}" if caller.token else "this caller"
            raise GitHubError(
                403,
                f"API rate limit exceeded for {who}.",
                documentation_url=PRIMARY_DOCS,
                headers=bucket.headers(),
            )
        bucket.used += 1
        check_permission(caller, method, path)
        if creating:
            wait = fake.secondary.check(fake.now())
            if wait is not None:
                raise GitHubError(
                    fake.secondary.status,
                    SECONDARY_MESSAGE,
                    documentation_url=SECONDARY_DOCS,
                    headers={"Retry-After": str(wait), **bucket.headers()},
                )
        return caller

    async def __call__(self, request: Request, call_next: Handler) -> Response:
        """Run the request through the gate and log it."""
        fake, method, path = self.fake, request.method, request.url.path
        creating = is_content_creating(method, path)
        delay = 0.0
        with fake.lock:  # reentrant; routes are async so they run on this same thread
            caller: Caller | None = None
            try:
                caller = self._admit(request, creating)
                response = await self._dispatch(request, call_next)
            except GitHubError as exc:
                response = exc.response()
            timeout = fake.faults.take("timeout", method, path)
            delay = timeout.seconds if timeout else 0.0
            bucket: Bucket = request.state.bucket
            response.headers.update(bucket.headers())
            response.headers["x-github-api-version-selected"] = "2022-11-28"
            response.headers["x-github-media-type"] = "github.v3; format=json"
            fake.log.append(
                RequestRecord(
                    method=method,
                    path=path,
                    query=request.url.query,
                    status=response.status_code,
                    content_creating=creating,
                    installation_id=caller.installation_id if caller else None,
                    at=fake.now(),
                )
            )
        await _linger(request, delay)
        return response

    async def _dispatch(self, request: Request, call_next: Handler) -> Response:
        """Inject failures, call the route, and turn a successful create into a ghost 500."""
        fake, method, path = self.fake, request.method, request.url.path
        fault = fake.faults.take("fail", method, path)
        if fault is not None:
            return _server_error(fault.status)
        ghost = is_issue_create(method, path) and fake.faults.peek("ghost", method, path)
        response = await call_next(request)
        if ghost and response.status_code == 201:
            fake.faults.take("ghost", method, path)
            await _discard_body(response)
            return _server_error(500)
        return response
