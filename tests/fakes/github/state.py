"""In-memory state of the fake GitHub: plain dataclasses and lookups, no HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

DEFAULT_PERMISSIONS = {"issues": "write", "checks": "write", "metadata": "read", "contents": "read"}
ROLES = ("admin", "maintain", "write", "triage", "read", "none")


@dataclass
class User:
    """A GitHub account: a person, an organization or an App's bot user."""

    login: str
    id: int
    type: str = "User"


@dataclass
class App:
    """The one GitHub App the fake knows; its public key verifies App JWTs."""

    id: int
    slug: str
    name: str
    client_id: str
    owner: User
    bot: User
    public_key_pem: str
    permissions: dict[str, str]
    events: list[str]
    created_at: float


@dataclass
class Installation:
    """An installation of the App on an account, with the repositories it may reach."""

    id: int
    account: User
    repository_selection: str
    repository_ids: set[int]
    permissions: dict[str, str]
    created_at: float
    suspended: bool = False


@dataclass
class Token:
    """An installation access token (`ghs_...`) with its expiry and scope."""

    token: str
    installation_id: int
    expires_at: float
    permissions: dict[str, str]
    repository_ids: set[int] | None


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str
    description: str | None = None
    default: bool = False


@dataclass
class Milestone:
    """A repository milestone; `number` is per repository."""

    id: int
    number: int
    title: str
    creator: User
    created_at: float
    updated_at: float
    state: str = "open"
    description: str | None = None
    due_on: str | None = None
    closed_at: float | None = None


@dataclass
class Reaction:
    """A reaction (`+1`, `eyes`, ...) on an issue comment."""

    id: int
    content: str
    user: User
    created_at: float


@dataclass
class Comment:
    """An issue comment; `id` is global, `issue_number` points into its repository."""

    id: int
    issue_number: int
    body: str
    user: User
    created_at: float
    updated_at: float
    reactions: list[Reaction] = field(default_factory=list)
    via_app: bool = False


@dataclass
class Issue:
    """An issue: `id` is global and differs from the per-repository `number`."""

    id: int
    number: int
    title: str
    body: str | None
    user: User
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: int | None = None
    closed_at: float | None = None
    closed_by: User | None = None
    parent_id: int | None = None
    sub_issue_ids: list[int] = field(default_factory=list)
    via_app: bool = False


@dataclass
class CheckRun:
    """A check run on a commit."""

    id: int
    name: str
    head_sha: str
    status: str
    suite_id: int
    conclusion: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    output: dict[str, object] = field(default_factory=dict)
    actions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Repo:
    """A repository with its issues, labels, milestones, comments, check runs and files."""

    id: int
    owner: User
    name: str
    default_branch: str
    head_sha: str
    created_at: float
    private: bool = True
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    next_number: int = 1
    next_milestone: int = 1

    @property
    def full_name(self) -> str:
        """`owner/name`."""
        return f"{self.owner.login}/{self.name}"

    def label(self, name: str) -> Label | None:
        """The label with this name, compared case-insensitively as GitHub does."""
        return self.labels.get(name.lower())

    def role(self, login: str) -> str:
        """The collaborator role of a login; the owner is admin, strangers `none`."""
        if login.lower() == self.owner.login.lower():
            return "admin"
        return self.roles.get(login.lower(), "none")


@dataclass
class RequestRecord:
    """One request the fake answered, for tests to count."""

    method: str
    path: str
    query: str
    status: int
    content_creating: bool
    installation_id: int | None
    at: float


class Store:
    """All mutable state; FakeGitHub wraps it with controls and a lock."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.users: dict[str, User] = {app.owner.login.lower(): app.owner}
        self.users[app.bot.login.lower()] = app.bot
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, Token] = {}
        self.user_tokens: dict[str, str] = {}  # user access token (ghu_...) -> login
        self.user_installations: dict[str, set[int]] = {}  # login -> installations it sees
        self.oauth_codes: dict[str, str] = {}  # one-time OAuth code -> login
        self.issue_index: dict[int, tuple[str, int]] = {}
        self.comment_index: dict[int, str] = {}
        self.check_run_index: dict[int, str] = {}
        self._ids: dict[str, Iterator[int]] = {}

    def next_id(self, kind: str) -> int:
        """A fresh id; each kind has its own range so ids never look like numbers."""
        starts = {"issue": 1_000_000_001, "comment": 2_000_000_001, "label": 3_000_001}
        starts |= {"milestone": 4_000_001, "check_run": 5_000_000_001, "reaction": 6_000_001}
        starts |= {"repo": 700_001, "user": 80_001, "suite": 9_000_000_001}
        if kind not in self._ids:
            self._ids[kind] = itertools.count(starts[kind])
        return next(self._ids[kind])

    def user(self, login: str, type: str = "User") -> User:
        """The user with this login, created on first use."""
        key = login.lower()
        if key not in self.users:
            self.users[key] = User(login=login, id=self.next_id("user"), type=type)
        return self.users[key]

    def repo(self, full_name: str) -> Repo | None:
        """The repository `owner/name`, case-insensitively."""
        return self.repos.get(full_name.lower())

    def issue_by_id(self, issue_id: int) -> tuple[Repo, Issue] | None:
        """Find an issue anywhere by its global id."""
        where = self.issue_index.get(issue_id)
        if where is None:
            return None
        repo = self.repos[where[0]]
        return repo, repo.issues[where[1]]

    def installation_repo_ids(self, installation: Installation) -> set[int]:
        """The repositories an installation reaches (all of the account's, or a selection)."""
        if installation.repository_selection == "all":
            owner = installation.account.login.lower()
            return {r.id for r in self.repos.values() if r.owner.login.lower() == owner}
        return set(installation.repository_ids)

    def token_repo_ids(self, token: Token) -> set[int]:
        """The repositories a token reaches: its installation's, narrowed if it asked to be."""
        installation = self.installations[token.installation_id]
        reachable = self.installation_repo_ids(installation)
        return reachable if token.repository_ids is None else reachable & token.repository_ids

    def installation_for_repo(self, repo: Repo) -> Installation | None:
        """The installation that reaches this repository, if any."""
        for installation in self.installations.values():
            if repo.id in self.installation_repo_ids(installation):
                return installation
        return None
