"""Who may read or change what: API tokens, sign-in sessions, one-time admin links (hashed at rest).

Only a SHA-256 hash of each secret is stored: the secrets are long random strings, so a hash is
enough to make a leaked database useless for signing in, and a lookup stays one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from workflows.errors import WorkflowError
from workflows.models import Release, UTCDateTime, Workspace, _enum

TOKEN_PREFIX = "cb_"
SESSION_TTL = timedelta(hours=12)
ADMIN_LINK_TTL = timedelta(hours=24)
_T = TypeVar("_T")


class Scope(StrEnum):
    """What a principal may do: read, or read and write; admin also sees every workspace."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class ApiToken(SQLModel, table=True):
    """A named API token: its hash, scope, the workspaces it may see (empty: all) and its life."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    scope: Scope = Field(sa_type=_enum(Scope))
    workspace_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie's hash, who it is and what it may see, until it expires."""

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    actor: str = Field(max_length=255)
    scope: Scope = Field(sa_type=_enum(Scope))
    workspace_ids: list[int] | None = Field(default=None, sa_type=sa.JSON)
    token_id: int | None = Field(default=None, foreign_key="apitoken.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class SignInLink(SQLModel, table=True):
    """A one-time admin sign-in link printed by `serve` on a fresh install; single use."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccessError(WorkflowError):
    """A token or sign-in request that cannot be honoured (unknown name, bad workspace...)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit trail, a scope, and the workspaces it may see."""

    name: str
    scope: Scope
    workspace_ids: frozenset[int] | None  # None: every workspace

    @property
    def can_write(self) -> bool:
        """Write and admin scopes may change data."""
        return self.scope is not Scope.READ

    def sees(self, workspace_id: int) -> bool:
        """Whether this principal may see a workspace's releases."""
        return self.workspace_ids is None or workspace_id in self.workspace_ids


def digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def visible_releases(statement: SelectOfScalar[_T], principal: Principal) -> SelectOfScalar[_T]:
    """Narrow a query that selects from Release to the workspaces the principal may see."""
    if principal.workspace_ids is None:
        return statement
    return statement.where(col(Release.workspace_id).in_(sorted(principal.workspace_ids)))


def create_token(
    *,
    session: Session,
    name: str,
    scope: Scope,
    workspaces: list[str],
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token's hash and return the row with the token itself (shown once)."""
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise AccessError(f"a token named {name!r} exists: pick another name or revoke it")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_hash=digest(secret),
        prefix=secret[:10],
        scope=scope,
        workspace_ids=_workspace_ids(session, workspaces),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    return row, secret


def _workspace_ids(session: Session, names: list[str]) -> list[int]:
    """Ids of the named workspaces; an unknown name is an error, not a silent widening."""
    ids: list[int] = []
    for name in names:
        found = session.exec(select(Workspace).where(Workspace.name == name)).all()
        if not found:
            raise AccessError(f"no workspace named {name!r}: see `controlbot release list`")
        ids.extend(w.id for w in found if w.id is not None)
    return sorted(set(ids))


def list_tokens(*, session: Session) -> list[ApiToken]:
    """Every token, newest first, revoked ones included (they show as revoked)."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id).desc())).all())


def revoke_token(*, session: Session, name: str, now: datetime) -> ApiToken:
    """Revoke a token by name; its sessions stop working at once."""
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None:
        raise AccessError(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.commit()
    return row


def token_principal(*, session: Session, secret: str, now: datetime) -> Principal | None:
    """The principal a bearer token stands for, or None if unknown, revoked or expired."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
    if row is None or not _token_alive(row, now):
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        session.execute(
            sa.update(ApiToken).where(col(ApiToken.id) == row.id).values(last_used_at=now)
        )
        session.commit()
    return _principal_of(row)


def _token_alive(row: ApiToken, now: datetime) -> bool:
    """Not revoked and not expired."""
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def _principal_of(row: ApiToken) -> Principal:
    """A token's principal: scope and workspaces as stored (no workspaces means all)."""
    ids = frozenset(row.workspace_ids) if row.workspace_ids else None
    return Principal(name=f"token:{row.name}", scope=row.scope, workspace_ids=ids)


def has_live_token(*, session: Session, now: datetime) -> bool:
    """Whether any token could still sign someone in (decides the first-start admin link)."""
    rows = session.exec(select(ApiToken).where(col(ApiToken.revoked_at).is_(None))).all()
    return any(_token_alive(r, now) for r in rows)


def start_session(
    *, session: Session, principal: Principal, now: datetime, token_id: int | None = None
) -> str:
    """Open a browser session for a principal and return the cookie value (stored hashed)."""
    cookie = secrets.token_urlsafe(32)
    ids = sorted(principal.workspace_ids) if principal.workspace_ids is not None else None
    session.add(
        WebSession(
            session_hash=digest(cookie),
            actor=principal.name,
            scope=principal.scope,
            workspace_ids=ids,
            token_id=token_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.commit()
    return cookie


def session_principal(*, session: Session, cookie: str, now: datetime) -> Principal | None:
    """The principal of a live session cookie; a revoked or expired token ends its sessions."""
    row = session.exec(select(WebSession).where(WebSession.session_hash == digest(cookie))).first()
    if row is None or row.expires_at <= now:
        return None
    if row.token_id is not None:
        token = session.get(ApiToken, row.token_id)
        if token is None or not _token_alive(token, now):
            return None
    ids = frozenset(row.workspace_ids) if row.workspace_ids is not None else None
    return Principal(name=row.actor, scope=row.scope, workspace_ids=ids)


def end_session(*, session: Session, cookie: str) -> None:
    """Sign out: forget the session."""
    session.execute(sa.delete(WebSession).where(col(WebSession.session_hash) == digest(cookie)))
    session.commit()


def token_for_sign_in(*, session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The live token row behind a secret pasted into the sign-in form."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
    return row if row is not None and _token_alive(row, now) else None


def principal_of_token(row: ApiToken) -> Principal:
    """The principal a token row stands for."""
    return _principal_of(row)


def issue_admin_link(*, session: Session, now: datetime) -> str:
    """A fresh one-time admin sign-in code; unused older codes stop working."""
    session.execute(
        sa.update(SignInLink).where(col(SignInLink.used_at).is_(None)).values(expires_at=now)
    )
    code = secrets.token_urlsafe(32)
    session.add(SignInLink(code_hash=digest(code), created_at=now, expires_at=now + ADMIN_LINK_TTL))
    session.commit()
    return code


def redeem_admin_link(*, session: Session, code: str, now: datetime) -> bool:
    """Use a one-time code: True exactly once, for a live code (atomic, safe across replicas)."""
    result: Any = session.execute(
        sa.update(SignInLink)
        .where(
            col(SignInLink.code_hash) == digest(code),
            col(SignInLink.used_at).is_(None),
            col(SignInLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    session.commit()
    return bool(result.rowcount == 1)


ADMIN = Principal(name="admin", scope=Scope.ADMIN, workspace_ids=None)
