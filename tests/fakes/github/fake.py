"""FakeGitHub: the fake's state plus the switches and inspection helpers tests call."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping

from .controls import Fault, Faults, PrimaryLimits, SecondaryLimit
from .keys import KeyPair, shared_key_pair
from .seeding import Seeding
from .state import (
    DEFAULT_PERMISSIONS,
    App,
    Issue,
    RequestRecord,
    Store,
    User,
)

APP_EVENTS = ["issues", "issue_comment", "check_run", "check_suite", "release", "create"]


class FakeGitHub(Seeding):
    """A stateful stand-in for api.github.com; serve it with `create_fake_github_app`."""

    def __init__(
        self,
        *,
        app_id: int = 424242,
        slug: str = "controlbot-test",
        keys: KeyPair | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> None:
        self.keys = keys or shared_key_pair()
        self.app_id = app_id
        self.slug = slug
        self.app_permissions = dict(permissions or DEFAULT_PERMISSIONS)
        self.lock = threading.RLock()
        self.reset()

    @property
    def private_key_pem(self) -> str:
        """The App's private key, for `Auth.AppAuth(app_id, private_key_pem)`."""
        return self.keys.private_pem

    def reset(self) -> None:
        """Forget everything but the App itself: repos, tokens, switches, request log."""
        with self.lock:
            self.clock_offset = 0.0
            self.token_lifetime = 3600.0
            self.search_lag = 0.0
            owner = User(login="controlbot-dev", id=1, type="Organization")
            bot = User(login=f"{self.slug}[bot]", id=2, type="Bot")
            app = App(
                id=self.app_id,
                slug=self.slug,
                name=self.slug,
                client_id=f"Iv23{self.app_id}",
                owner=owner,
                bot=bot,
                public_key_pem=self.keys.public_pem,
                permissions=dict(self.app_permissions),
                events=list(APP_EVENTS),
                created_at=self.now(),
            )
            self.store = Store(app)
            self.primary = PrimaryLimits()
            self.secondary = SecondaryLimit()
            self.faults = Faults()
            self.log: list[RequestRecord] = []
            self.manifest_codes: dict[str, float] = {}
            self.webhook_secret: str | None = None
            self.client_secret: str | None = None
            self.oauth_login: str | None = None  # who approves at /login/oauth/authorize

    def new_manifest_code(self, *, lifetime: float = 3600.0) -> str:
        """A one-time code, as GitHub hands the browser after a manifest form (valid 1 h)."""
        with self.lock:
            code = secrets.token_hex(10)
            self.manifest_codes[code] = self.now() + lifetime
            return code

    # --- behaviour switches --------------------------------------------------------------

    def set_rate_limit(
        self, limit: int = 5000, *, remaining: int | None = None, reset_in: float = 3600
    ) -> None:
        """Set the primary (core) limit and how many requests are left in the current window."""
        with self.lock:
            self.primary.configure(limit, remaining, self.now(), reset_in)

    def enable_secondary_limit(
        self,
        *,
        min_interval: float = 1.0,
        per_minute: int = 80,
        retry_after: int = 1,
        status: int = 403,
    ) -> None:
        """Refuse content-creating writes that come too fast, with `Retry-After`."""
        with self.lock:
            self.secondary = SecondaryLimit(
                enabled=True,
                min_interval=min_interval,
                per_minute=per_minute,
                retry_after=retry_after,
                status=status,
                hits=self.secondary.hits,
            )

    def disable_secondary_limit(self) -> None:
        """Stop enforcing the secondary limit (the default)."""
        with self.lock:
            self.secondary.enabled = False

    @property
    def secondary_limit_hits(self) -> int:
        """How many writes the secondary limit refused."""
        return self.secondary.hits

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 502,
        path_pattern: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status`, without doing anything."""
        with self.lock:
            pattern = re.compile(path_pattern) if path_pattern else None
            self.faults.add(Fault("fail", n, status=status, pattern=pattern, method=method))

    def timeout_next(
        self,
        n: int = 1,
        *,
        seconds: float = 2.0,
        path_pattern: str | None = None,
        method: str | None = None,
    ) -> None:
        """Handle the next `n` matching requests, then wait `seconds` before answering."""
        with self.lock:
            pattern = re.compile(path_pattern) if path_pattern else None
            fault = Fault("timeout", n, seconds=seconds, pattern=pattern, method=method)
            self.faults.add(fault)

    def ghost_create_next(self, n: int = 1) -> None:
        """The next `n` issue creates store the issue, then answer 500 anyway."""
        with self.lock:
            self.faults.add(Fault("ghost", n, status=500))

    def set_search_lag(self, seconds: float) -> None:
        """Hide issues younger than `seconds` from search (it is eventually consistent)."""
        with self.lock:
            self.search_lag = seconds

    # --- inspection -----------------------------------------------------------------------

    def issues(self, full_name: str) -> list[Issue]:
        """All issues of a repository, by number."""
        with self.lock:
            return [self.repo(full_name).issues[n] for n in sorted(self.repo(full_name).issues)]

    def count_requests(
        self,
        *,
        method: str | None = None,
        path_pattern: str | None = None,
        content_creating: bool | None = None,
        status: int | None = None,
    ) -> int:
        """How many logged requests match all the given filters."""
        pattern = re.compile(path_pattern) if path_pattern else None
        with self.lock:
            return sum(
                1
                for r in self.log
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))
                and (content_creating is None or r.content_creating == content_creating)
                and (status is None or r.status == status)
            )
