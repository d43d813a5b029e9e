"""Who is calling: App JWT (RS256, verified with the App's public key) or installation token."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt

from .http import GitHubError
from .state import Store, Token

MAX_JWT_LIFETIME = 600
_JWT_PATHS = re.compile(r"^/app(/|$)|^/(repos/[^/]+/[^/]+|orgs/[^/]+|users/[^/]+)/installation/?$")
_OPEN_PATHS = re.compile(
    r"^/rate_limit/?$|^/app-manifests/[^/]+/conversions/?$|^/login/oauth/(authorize|access_token)$"
)
_PERMISSIONS = (
    (re.compile(r"^/repos/[^/]+/[^/]+/(issues|labels|milestones)(/|$)"), "issues"),
    (re.compile(r"^/repos/[^/]+/[^/]+/(check-runs|commits/[^/]+/check-runs)(/|$)"), "checks"),
    (re.compile(r"^/repos/[^/]+/[^/]+/contents(/|$)"), "contents"),
)


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: `app` (JWT), `installation` (token) or `anonymous`."""

    kind: str
    key: str
    token: Token | None = None
    login: str | None = None  # a user access token's user

    @property
    def installation_id(self) -> int | None:
        """The installation behind a token, if any."""
        return self.token.installation_id if self.token else None


def _credential(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return None


def _jwt_error(message: str) -> GitHubError:
    return GitHubError(401, message)


def verify_app_jwt(store: Store, raw: str) -> None:
    """Accept a JWT signed by the App's key, `iss` = app id, unexpired, `exp` <= 10 min ahead."""
    try:
        claims = jwt.decode(
            raw,
            store.app.public_key_pem,
            algorithms=["RS256"],
            options={"require": ["exp", "iat", "iss"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as exc:
        raise _jwt_error("A JSON web token could not be decoded") from exc
    now = time.time()  # the client signs with the wall clock, not the fake's clock
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int) or exp <= now:
        raise _jwt_error(
            "'Expiration time' claim ('exp') must be a numeric value representing the future"
            " time at which the assertion expires"
        )
    if exp > now + MAX_JWT_LIFETIME:
        raise _jwt_error("'Expiration time' claim ('exp') is too far in the future")
    if not isinstance(iat, int) or iat > now + 60:
        raise _jwt_error(
            "'Issued at' claim ('iat') must be an Integer representing the time that the"
            " assertion was issued"
        )
    issuer = str(claims["iss"])
    if issuer not in {str(store.app.id), store.app.client_id}:
        if not issuer.isdigit():
            raise _jwt_error("'Issuer' claim ('iss') must be an Integer")
        raise _jwt_error("A JSON web token could not be decoded")


def authenticate(store: Store, path: str, header: str, client: str, now: float) -> Caller:
    """Identify the caller for this path or raise GitHub's 401/403."""
    raw = _credential(header)
    if raw is None:
        if _OPEN_PATHS.match(path):
            return Caller(kind="anonymous", key=f"anon:{client}")
        raise GitHubError(401, "Requires authentication")
    looks_like_jwt = raw.count(".") == 2
    if _JWT_PATHS.match(path):
        if not looks_like_jwt:
            raise _jwt_error("A JSON web token could not be decoded")
        verify_app_jwt(store, raw)
        return Caller(kind="app", key=f"app:{store.app.id}")
    if looks_like_jwt:
        verify_app_jwt(store, raw)
        if _OPEN_PATHS.match(path):
            return Caller(kind="app", key=f"app:{store.app.id}")
        raise GitHubError(403, "Resource not accessible by integration")
    login = store.user_tokens.get(raw)
    if login is not None:
        return Caller(kind="user", key=f"user:{login}", login=login)
    token = store.tokens.get(raw)
    if token is None or token.expires_at <= now:
        raise GitHubError(401, "Bad credentials")
    installation = store.installations.get(token.installation_id)
    if installation is None or installation.suspended:
        raise GitHubError(403, "This installation has been suspended")
    return Caller(kind="installation", key=f"installation:{token.installation_id}", token=token)


def check_permission(caller: Caller, method: str, path: str) -> None:
    """Refuse with 403 when the token lacks the permission this endpoint needs."""
    if caller.token is None:
        return
    for pattern, permission in _PERMISSIONS:
        if pattern.match(path):
            granted = caller.token.permissions.get(permission)
            needs_write = method != "GET"
            if granted is None or (needs_write and granted != "write"):
                raise GitHubError(403, "Resource not accessible by integration")
            return
