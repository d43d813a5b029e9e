"""Seeding helpers of FakeGitHub: clock, installations, repositories, files, issues, tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Mapping, Sequence

from . import ops
from .state import ROLES, Comment, Installation, Issue, Repo, Store, Token


class Seeding:
    """Puts state into the fake directly, the way a test arranges the world before acting."""

    lock: threading.RLock
    store: Store
    clock_offset: float
    token_lifetime: float
    app_permissions: dict[str, str]

    def now(self) -> float:
        """The fake's clock: wall time plus whatever `advance_clock` added."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock on: expires tokens, rolls rate windows (JWTs keep wall time)."""
        with self.lock:
            self.clock_offset += seconds

    def add_installation(
        self,
        installation_id: int,
        account: str = "acme",
        *,
        account_type: str = "Organization",
        repository_selection: str = "selected",
        permissions: Mapping[str, str] | None = None,
    ) -> Installation:
        """Install the App on an account (`selected` repos are added by `add_repo`)."""
        with self.lock:
            inst = Installation(
                id=installation_id,
                account=self.store.user(account, account_type),
                repository_selection=repository_selection,
                repository_ids=set(),
                permissions=dict(permissions or self.app_permissions),
                created_at=self.now(),
            )
            self.store.installations[installation_id] = inst
            return inst

    def add_repo(
        self,
        full_name: str,
        *,
        installation_id: int | None = None,
        default_branch: str = "main",
        files: Mapping[str, str | bytes] | None = None,
        private: bool = True,
    ) -> Repo:
        """Create a repository, optionally reachable by an installation and holding files."""
        owner, name = full_name.split("/")
        with self.lock:
            repo = Repo(
                id=self.store.next_id("repo"),
                owner=self.store.user(owner, "Organization"),
                name=name,
                default_branch=default_branch,
                head_sha=hashlib.sha1(full_name.encode()).hexdigest(),
                created_at=self.now(),
                private=private,
            )
            repo.files[default_branch] = {}
            self.store.repos[full_name.lower()] = repo
            if installation_id is not None:
                self.store.installations[installation_id].repository_ids.add(repo.id)
            for path, content in (files or {}).items():
                self.set_file(full_name, path, content)
            return repo

    def set_file(
        self, full_name: str, path: str, content: str | bytes, *, ref: str | None = None
    ) -> None:
        """Put a file on the default branch (or on `ref`) for `GET .../contents/{path}`."""
        with self.lock:
            repo = self.repo(full_name)
            data = content.encode() if isinstance(content, str) else content
            repo.files.setdefault(ref or repo.default_branch, {})[path.strip("/")] = data

    def set_tag(self, full_name: str, tag: str, sha: str | None = None) -> str:
        """Point a tag at a commit (the default branch's head unless `sha` is given)."""
        with self.lock:
            repo = self.repo(full_name)
            repo.tags[tag] = sha or repo.head_sha
            return repo.tags[tag]

    def set_permission(self, full_name: str, login: str, role: str) -> None:
        """Make `login` a collaborator with a role: admin/maintain/write/triage/read/none."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self.lock:
            self.store.user(login)
            self.repo(full_name).roles[login.lower()] = role

    def issue_token(self, installation_id: int, *, lifetime: float | None = None) -> str:
        """Mint an installation token directly, skipping the JWT exchange."""
        with self.lock:
            inst = self.store.installations[installation_id]
            token = Token(
                token=f"ghs_{secrets.token_urlsafe(27)[:36]}",
                installation_id=installation_id,
                expires_at=self.now() + (self.token_lifetime if lifetime is None else lifetime),
                permissions=dict(inst.permissions),
                repository_ids=None,
            )
            self.store.tokens[token.token] = token
            return token.token

    def expire_tokens(self) -> None:
        """Expire every installation token now (the next use answers 401 Bad credentials)."""
        with self.lock:
            for token in self.store.tokens.values():
                token.expires_at = self.now() - 1

    def suspend_installation(self, installation_id: int) -> None:
        """Suspend an installation: its tokens stop working, new ones are refused."""
        with self.lock:
            self.store.installations[installation_id].suspended = True

    def seed_issue(
        self,
        full_name: str,
        title: str,
        *,
        body: str | None = None,
        labels: Sequence[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        author: str | None = None,
    ) -> Issue:
        """Store an issue without HTTP (by the App's bot unless `author` is given)."""
        with self.lock:
            repo, now = self.repo(full_name), self.now()
            user = self.store.user(author) if author else self.store.app.bot
            fields = {"title": title, "body": body, "labels": list(labels)}
            issue = ops.create_issue(self.store, repo, user, fields, now, via_app=not author)
            if state == "closed":
                ops.edit_issue(self.store, repo, issue, {"state": "closed"}, user, now)
                issue.state_reason = state_reason or "completed"
            return issue

    def seed_comment(self, full_name: str, number: int, body: str, *, author: str) -> Comment:
        """Store a comment by a person on an issue, without HTTP."""
        with self.lock:
            repo, now = self.repo(full_name), self.now()
            comment = Comment(
                id=self.store.next_id("comment"),
                issue_number=number,
                body=body,
                user=self.store.user(author),
                created_at=now,
                updated_at=now,
            )
            repo.comments[comment.id] = comment
            return comment

    def user_edit_issue(
        self, full_name: str, number: int, *, author: str, **fields: object
    ) -> Issue:
        """Change an issue as a person would in the web UI (state, state_reason, body...)."""
        with self.lock:
            repo = self.repo(full_name)
            issue = repo.issues[number]
            ops.edit_issue(
                self.store, repo, issue, dict(fields), self.store.user(author), self.now()
            )
            return issue

    def repo(self, full_name: str) -> Repo:
        """The repository `owner/name`; KeyError when absent."""
        found = self.store.repo(full_name)
        if found is None:
            raise KeyError(full_name)
        return found
