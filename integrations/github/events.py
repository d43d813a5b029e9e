"""Parse GitHub webhook payloads into small frozen events; raw dicts never leave this module.

`parse_github_event(event, payload)` takes the `X-GitHub-Event` name and the decoded JSON body. It
returns None for event names we do not handle and raises `PayloadError` (naming the path, e.g.
`issue.number: missing`) when a field we need is absent or of the wrong type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar


class PayloadError(ValueError):
    """The payload lacks a field we need or has the wrong type (-> HTTP 400)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """A GitHub user or bot; `is_bot` when `type == "Bot"`."""

    login: str
    id: int
    is_bot: bool


@dataclass(frozen=True, slots=True)
class Repo:
    """The repository an event happened in."""

    full_name: str
    id: int
    owner: str
    default_branch: str


@dataclass(frozen=True, slots=True)
class Issue:
    """An issue (or pull request seen through the issues API); `body` is "" when null."""

    number: int
    id: int
    title: str
    body: str
    state: str
    state_reason: str | None
    html_url: str
    updated_at: datetime
    labels: tuple[str, ...]
    is_pull_request: bool


@dataclass(frozen=True, slots=True)
class IssueEvent:
    """`issues.*`; `previous_body` is `changes.body.from` on `edited`."""

    action: str
    installation_id: int | None
    repo: Repo
    issue: Issue
    sender: Actor
    previous_body: str | None
    via_app_id: int | None


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """`issue_comment.*`; `via_app_id` is the comment's `performed_via_github_app.id`."""

    action: str
    installation_id: int | None
    repo: Repo
    issue: Issue
    comment_id: int
    body: str
    author: Actor
    via_app_id: int | None


@dataclass(frozen=True, slots=True)
class InstallationEvent:
    """`installation.*`; `repositories` are full names, () when the payload has none."""

    action: str
    installation_id: int
    account: str
    account_type: str
    repositories: tuple[str, ...]
    sender: Actor


@dataclass(frozen=True, slots=True)
class InstallationReposEvent:
    """`installation_repositories.added/removed`, with full names."""

    action: str
    installation_id: int
    account: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    sender: Actor


@dataclass(frozen=True, slots=True)
class CheckRunEvent:
    """`check_run.*`; an empty `external_id` is None; `requested_action` is its identifier."""

    action: str
    installation_id: int | None
    repo: Repo
    check_run_id: int
    name: str
    head_sha: str
    external_id: str | None
    requested_action: str | None
    app_id: int | None
    sender: Actor


@dataclass(frozen=True, slots=True)
class ReleaseEvent:
    """`release.*`; an empty release `name` is None (use the tag)."""

    action: str
    installation_id: int | None
    repo: Repo
    tag_name: str
    name: str | None
    draft: bool
    prerelease: bool
    target_commitish: str
    html_url: str
    sender: Actor


@dataclass(frozen=True, slots=True)
class PullRequestEvent:
    """`pull_request.*`; `head_sha` is `pull_request.head.sha`, `base_ref` is `base.ref`."""

    action: str
    installation_id: int | None
    repo: Repo
    number: int
    head_sha: str
    base_ref: str
    sender: Actor


@dataclass(frozen=True, slots=True)
class SubIssuesEvent:
    """`sub_issues.*`; GitHub marks repository and sender optional, so they may be None."""

    action: str
    installation_id: int | None
    repo: Repo | None
    parent_number: int | None
    sub_issue_number: int | None
    sub_issue_id: int | None
    sender: Actor | None


@dataclass(frozen=True, slots=True)
class PingEvent:
    """`ping`, sent when a hook is created; `app_id` is set for App hooks."""

    hook_id: int | None
    zen: str
    app_id: int | None


GitHubEvent = (
    IssueEvent
    | CommentEvent
    | InstallationEvent
    | InstallationReposEvent
    | CheckRunEvent
    | ReleaseEvent
    | PullRequestEvent
    | SubIssuesEvent
    | PingEvent
)
Obj = Mapping[str, Any]
T = TypeVar("T")
_KINDS: dict[type, str] = {str: "string", int: "integer", bool: "boolean", list: "array"}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _mistyped(where: str, expected: str, value: object) -> PayloadError:
    got = "null" if value is None else type(value).__name__
    return PayloadError(f"{where}: expected {expected}, got {got}")


def _get(obj: Obj, key: str, path: str, kind: type[T]) -> T:
    """The value at `key`: present, non-null and of `kind` (a bool is never an int)."""
    where = _join(path, key)
    if key not in obj:
        raise PayloadError(f"{where}: missing")
    value = obj[key]
    if isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
        raise _mistyped(where, _KINDS[kind], value)
    return value


def _opt(obj: Obj, key: str, path: str, kind: type[T]) -> T | None:
    """Like `_get`, but a missing key or null gives None."""
    return None if obj.get(key) is None else _get(obj, key, path, kind)


def _as_obj(value: object, path: str) -> Obj:
    if not isinstance(value, Mapping):
        raise _mistyped(path, "object", value)
    return value


def _obj(obj: Obj, key: str, path: str) -> Obj:
    if key not in obj:
        raise PayloadError(f"{_join(path, key)}: missing")
    return _as_obj(obj[key], _join(path, key))


def _opt_obj(obj: Obj, key: str, path: str) -> Obj | None:
    return None if obj.get(key) is None else _obj(obj, key, path)


def _time(obj: Obj, key: str, path: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    value = _get(obj, key, path, str)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"{_join(path, key)}: not a timestamp: {value!r}") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _names(obj: Obj, key: str, path: str, field: str) -> tuple[str, ...]:
    """`field` of every object in the list at `key`; () when the key is absent or null."""
    where = _join(path, key)
    items = _opt(obj, key, path, list) or []
    return tuple(
        _get(_as_obj(item, f"{where}[{i}]"), field, f"{where}[{i}]", str)
        for i, item in enumerate(items)
    )


def _actor(obj: Obj, path: str) -> Actor:
    return Actor(
        login=_get(obj, "login", path, str),
        id=_get(obj, "id", path, int),
        is_bot=obj.get("type") == "Bot",
    )


def _repo(obj: Obj, path: str) -> Repo:
    return Repo(
        full_name=_get(obj, "full_name", path, str),
        id=_get(obj, "id", path, int),
        owner=_get(_obj(obj, "owner", path), "login", _join(path, "owner"), str),
        default_branch=_get(obj, "default_branch", path, str),
    )


def _issue(obj: Obj, path: str) -> Issue:
    return Issue(
        number=_get(obj, "number", path, int),
        id=_get(obj, "id", path, int),
        title=_get(obj, "title", path, str),
        body=_opt(obj, "body", path, str) or "",
        state=_get(obj, "state", path, str),
        state_reason=_opt(obj, "state_reason", path, str),
        html_url=_get(obj, "html_url", path, str),
        updated_at=_time(obj, "updated_at", path),
        labels=_names(obj, "labels", path, "name"),
        is_pull_request=obj.get("pull_request") is not None,
    )


def _installation_id(payload: Obj) -> int | None:
    inst = _opt_obj(payload, "installation", "")
    return None if inst is None else _get(inst, "id", "installation", int)


def _app_id(obj: Obj, key: str, path: str) -> int | None:
    app = _opt_obj(obj, key, path)
    return None if app is None else _get(app, "id", _join(path, key), int)


def _sender(payload: Obj) -> Actor:
    return _actor(_obj(payload, "sender", ""), "sender")


def _repository(payload: Obj) -> Repo:
    return _repo(_obj(payload, "repository", ""), "repository")


def _issues(p: Obj) -> IssueEvent:
    issue = _obj(p, "issue", "")
    changes = _opt_obj(p, "changes", "") or {}
    body_change = _opt_obj(changes, "body", "changes")
    previous = None if body_change is None else _opt(body_change, "from", "changes.body", str)
    return IssueEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=_repository(p),
        issue=_issue(issue, "issue"),
        sender=_sender(p),
        previous_body=previous,
        via_app_id=_app_id(issue, "performed_via_github_app", "issue"),
    )


def _issue_comment(p: Obj) -> CommentEvent:
    comment = _obj(p, "comment", "")
    return CommentEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=_repository(p),
        issue=_issue(_obj(p, "issue", ""), "issue"),
        comment_id=_get(comment, "id", "comment", int),
        body=_opt(comment, "body", "comment", str) or "",
        author=_actor(_obj(comment, "user", "comment"), "comment.user"),
        via_app_id=_app_id(comment, "performed_via_github_app", "comment"),
    )


def _account(inst: Obj) -> tuple[str, str]:
    account = _obj(inst, "account", "installation")
    kind = _opt(account, "type", "installation.account", str)
    kind = kind or _opt(inst, "target_type", "installation", str) or ""
    return _get(account, "login", "installation.account", str), kind


def _installation(p: Obj) -> InstallationEvent:
    inst = _obj(p, "installation", "")
    account, kind = _account(inst)
    return InstallationEvent(
        action=_get(p, "action", "", str),
        installation_id=_get(inst, "id", "installation", int),
        account=account,
        account_type=kind,
        repositories=_names(p, "repositories", "", "full_name"),
        sender=_sender(p),
    )


def _installation_repositories(p: Obj) -> InstallationReposEvent:
    inst = _obj(p, "installation", "")
    return InstallationReposEvent(
        action=_get(p, "action", "", str),
        installation_id=_get(inst, "id", "installation", int),
        account=_account(inst)[0],
        added=_names(p, "repositories_added", "", "full_name"),
        removed=_names(p, "repositories_removed", "", "full_name"),
        sender=_sender(p),
    )


def _check_run(p: Obj) -> CheckRunEvent:
    run = _obj(p, "check_run", "")
    requested = _opt_obj(p, "requested_action", "")
    return CheckRunEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=_repository(p),
        check_run_id=_get(run, "id", "check_run", int),
        name=_get(run, "name", "check_run", str),
        head_sha=_get(run, "head_sha", "check_run", str),
        external_id=_opt(run, "external_id", "check_run", str) or None,
        requested_action=(
            None if requested is None else _get(requested, "identifier", "requested_action", str)
        ),
        app_id=_app_id(run, "app", "check_run"),
        sender=_sender(p),
    )


def _release(p: Obj) -> ReleaseEvent:
    rel = _obj(p, "release", "")
    return ReleaseEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=_repository(p),
        tag_name=_get(rel, "tag_name", "release", str),
        name=_opt(rel, "name", "release", str) or None,
        draft=_get(rel, "draft", "release", bool),
        prerelease=_get(rel, "prerelease", "release", bool),
        target_commitish=_get(rel, "target_commitish", "release", str),
        html_url=_get(rel, "html_url", "release", str),
        sender=_sender(p),
    )


def _pull_request(p: Obj) -> PullRequestEvent:
    pr = _obj(p, "pull_request", "")
    return PullRequestEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=_repository(p),
        number=_get(pr, "number", "pull_request", int),
        head_sha=_get(_obj(pr, "head", "pull_request"), "sha", "pull_request.head", str),
        base_ref=_get(_obj(pr, "base", "pull_request"), "ref", "pull_request.base", str),
        sender=_sender(p),
    )


def _sub_issues(p: Obj) -> SubIssuesEvent:
    parent = _opt_obj(p, "parent_issue", "")
    child = _opt_obj(p, "sub_issue", "")
    repo = _opt_obj(p, "repository", "")
    sender = _opt_obj(p, "sender", "")
    sub_id = _opt(p, "sub_issue_id", "", int)
    if sub_id is None and child is not None:
        sub_id = _get(child, "id", "sub_issue", int)
    return SubIssuesEvent(
        action=_get(p, "action", "", str),
        installation_id=_installation_id(p),
        repo=None if repo is None else _repo(repo, "repository"),
        parent_number=None if parent is None else _get(parent, "number", "parent_issue", int),
        sub_issue_number=None if child is None else _get(child, "number", "sub_issue", int),
        sub_issue_id=sub_id,
        sender=None if sender is None else _actor(sender, "sender"),
    )


def _ping(p: Obj) -> PingEvent:
    hook = _opt_obj(p, "hook", "")
    return PingEvent(
        hook_id=_opt(p, "hook_id", "", int),
        zen=_opt(p, "zen", "", str) or "",
        app_id=None if hook is None else _opt(hook, "app_id", "hook", int),
    )


_PARSERS: dict[str, Callable[[Obj], GitHubEvent]] = {
    "issues": _issues,
    "issue_comment": _issue_comment,
    "installation": _installation,
    "installation_repositories": _installation_repositories,
    "check_run": _check_run,
    "release": _release,
    "pull_request": _pull_request,
    "sub_issues": _sub_issues,
    "ping": _ping,
}
HANDLED_EVENTS: frozenset[str] = frozenset(_PARSERS)


def parse_github_event(event: str, payload: Mapping[str, Any]) -> GitHubEvent | None:
    """The normalised event, or None for an event name we do not handle."""
    parser = _PARSERS.get(event)
    if parser is None:
        return None
    return parser(_as_obj(payload, "payload"))


def is_self(
    actor: Actor | None,
    *,
    app_slug: str,
    via_app_id: int | None = None,
    app_id: int | None = None,
) -> bool:
    """Whether our own App caused the event (its bot user sent it, or it was done via the App)."""
    if via_app_id is not None and app_id is not None and via_app_id == app_id:
        return True
    if actor is None or not actor.is_bot:
        return False
    return actor.login.casefold() == f"{app_slug}[bot]".casefold()
