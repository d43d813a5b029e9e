"""GitHubTracker: the Tracker protocol and every capability, on one repository's issues."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

from github import Github
from github.CheckRun import CheckRun
from github.Issue import Issue
from github.Milestone import Milestone

from integrations.capabilities import GateReport, LabelSpec
from integrations.errors import RateLimited, TrackerRejected
from integrations.github import client as api
from integrations.github.checklist import key_from_body, key_marker, replace_section
from integrations.github.errors import translated
from integrations.github.pacing import WritePacer
from integrations.tracker import EnsureResult, ItemRef, ItemSpec, OnEnsured, RemoteState, WorkState

T = TypeVar("T")
MARK_LABEL = "controlbot"
STATUS_PREFIX = "status:"
LABELLED = (WorkState.IN_PROGRESS, WorkState.BLOCKED)
CLOSE_REASON = {WorkState.DONE: "completed", WorkState.NOT_APPLICABLE: "not_planned"}
CLOSED_STATE = {"completed": WorkState.DONE, "not_planned": WorkState.NOT_APPLICABLE}
ROLES = frozenset({"admin", "maintain", "write", "triage", "read", "none"})
_REF = re.compile(r"^(?P<repo>[^/#\s]+/[^/#\s]+)#(?P<number>\d+)$")
_ALREADY_LINKED = re.compile(r"duplicate sub-issue|only have one parent|already", re.IGNORECASE)


def status_label(state: WorkState) -> str:
    """The label that shows an open item's state, e.g. `status: in_progress`."""
    return f"{STATUS_PREFIX} {state.value}"


def _is_status(name: str) -> bool:
    return name.lower().startswith(STATUS_PREFIX)


def state_of(issue: Issue) -> WorkState:
    """What an issue shows: closed by reason, else its status label, else todo."""
    if issue.state == "closed":
        return CLOSED_STATE.get(issue.state_reason or "completed", WorkState.TODO)
    for label in issue.labels:
        value = label.name[len(STATUS_PREFIX) :].strip() if _is_status(label.name) else ""
        if value in {s.value for s in LABELLED}:
            return WorkState(value)
    return WorkState.TODO


class GitHubTracker:
    """Tracker items are issues in `repo_full_name`; every write is paced and counted."""

    name = "github"
    notes_with_state = False

    def __init__(
        self, gh: Github, repo_full_name: str, *, pacer: WritePacer, app_login: str
    ) -> None:
        self._gh = gh
        self.repo_full_name = repo_full_name
        self.app_login = app_login
        self.writes = 0
        self._pacer = pacer
        self._repo = api.lazy_repo(gh, repo_full_name)
        self._milestones: dict[str, Milestone] | None = None

    def find_item(self, key: str) -> ItemRef | None:
        """The bot's issue carrying this key; None only after a complete listing found none."""
        issue = self._index().get(key)
        return self._ref(issue) if issue is not None else None

    def ensure_items(
        self, specs: Sequence[ItemSpec], *, maybe_exist: bool, on_ensured: OnEnsured
    ) -> None:
        """Create each missing issue in order; with `maybe_exist`, list the bot's issues first."""
        known = self._index() if maybe_exist else {}
        for spec in specs:
            issue = known.get(spec.key)
            created = issue is None
            if issue is None:
                issue = known[spec.key] = self._create(spec)
            on_ensured(EnsureResult(spec=spec, ref=self._ref(issue), created=created))

    def set_state(self, ref: ItemRef, state: WorkState, *, note: str | None = None) -> bool:
        """Close/reopen and sync the status label in one PATCH, only when something changes."""
        # No note: a PATCH and a comment are two requests, so the caller posts it on its own.
        if note is not None:
            raise ValueError("GitHub cannot send a note with a state change; use comment()")
        issue = self._fresh(ref)
        changes: dict[str, Any] = {}
        reason = CLOSE_REASON.get(state)
        if reason and (issue.state != "closed" or (issue.state_reason or "completed") != reason):
            changes |= {"state": "closed", "state_reason": reason}
        elif reason is None and issue.state == "closed":
            changes["state"] = "open"
        current = [label.name for label in issue.labels]
        wanted = [n for n in current if not _is_status(n)]
        wanted += [status_label(state)] if state in LABELLED else []
        if sorted(wanted) != sorted(current):
            changes["labels"] = wanted
        if changes:
            self._write(lambda: issue.edit(**changes))
        return bool(changes)

    def set_assignees(self, ref: ItemRef, logins: Sequence[str]) -> None:
        """Make these people the issue's assignees (no write when they already are)."""
        issue = self._fresh(ref)
        if sorted(a.login for a in issue.assignees) != sorted(logins):
            self._write(lambda: issue.edit(assignees=list(logins)))

    def comment(self, ref: ItemRef, body: str) -> None:
        """Post a comment on the issue."""
        self._write(lambda: self._lazy(ref).create_comment(body))

    def fetch_states(self, refs: Sequence[ItemRef]) -> list[RemoteState]:
        """Each issue's state as GitHub shows it now (one GET each)."""
        states = []
        for ref in refs:
            issue = self._fresh(ref)  # PyGithub's datetimes are aware
            states.append(RemoteState(ref, state_of(issue), issue.updated_at.astimezone(UTC)))
        return states

    def update_section(self, ref: ItemRef, section: str) -> bool:
        """Rewrite the bot's section from a fresh read, so ticks made meanwhile survive."""
        issue = self._fresh(ref)
        body = issue.body or ""
        try:
            new_body = replace_section(body, section)
        except ValueError as exc:  # over GitHub's body limit even with titles shortened
            raise TrackerRejected(str(exc)) from exc
        if new_body == body:
            return False
        self._write(lambda: issue.edit(body=new_body))
        return True

    def link_child(self, parent: ItemRef, child: ItemRef) -> None:
        """Add `child` (by issue id) under `parent`; already linked there is a no-op."""
        child_id = self._id(child)
        try:
            self._write(lambda: self._lazy(parent).add_sub_issue(child_id))
        except TrackerRejected as exc:
            if not _ALREADY_LINKED.search(str(exc)) or self._parent_id(child) != self._id(parent):
                raise

    def ensure_labels(self, labels: Sequence[LabelSpec]) -> None:
        """List labels once and create the missing ones; losing a creation race is fine."""
        with translated():
            have = {label.name.lower() for label in self._repo.get_labels()}
        for spec in labels:
            if spec.name.lower() not in have:
                color, text = spec.color.lstrip("#"), spec.description
                self._create_once(partial(self._repo.create_label, spec.name, color, text))
                have.add(spec.name.lower())

    def ensure_milestone(self, title: str, *, due_on: date | None) -> None:
        """Create the milestone unless one with this title exists in any state."""
        self._milestone(title, due_on=due_on)

    def publish_gate(self, report: GateReport) -> None:
        """Update this app's check run for (sha, name) if it exists, else create it."""
        output = {"title": report.title, "summary": report.summary}
        fields: dict[str, Any] = {"external_id": report.external_id, "status": "completed"}
        fields |= {"conclusion": report.conclusion, "output": output}
        run = self._check_run(report)
        if run is None:
            self._write(lambda: self._repo.create_check_run(report.name, report.sha, **fields))
        elif _run_differs(run, report):
            self._write(lambda: run.edit(name=report.name, **fields))

    def resolve_ref(self, ref: str) -> str:
        """The commit SHA of a tag, branch or SHA."""
        with translated():
            return self._repo.get_commit(ref).sha

    def permission(self, login: str) -> str:
        """The user's role name (admin, maintain, write, triage, read) or none."""
        url = f"{self._repo.url}/collaborators/{quote(login, safe='')}/permission"
        data = api.get_json(self._gh, url) or {}
        role = str(data.get("role_name") or "")
        return role if role in ROLES else str(data.get("permission") or "none")

    def read_config(self, path: str) -> str | None:
        """The file from this repo's default branch, else from the owner's `.github` repo."""
        owner = self.repo_full_name.split("/")[0]
        for full_name in dict.fromkeys([self.repo_full_name, f"{owner}/.github"]):
            text = api.read_text(self._gh, full_name, path)
            if text is not None:
                return text
        return None

    def react(self, comment_id: int, content: str) -> None:
        """Add a reaction to an issue comment of this repository."""
        target = api.lazy_comment(self._gh, self.repo_full_name, comment_id)
        self._write(lambda: target.create_reaction(content))

    def latest_comment(self, ref: ItemRef, *, author: str) -> str | None:
        """The body of the newest comment by `author`, or None."""
        with translated():
            comments = list(self._lazy(ref).get_comments())
        bodies = [c.body for c in comments if c.user.login.lower() == author.lower()]
        return bodies[-1] if bodies else None

    def _write(self, action: Callable[[], T]) -> T:
        """One content-creating request: paced, counted, translated; a 403/429 pushes the next."""
        self._pacer.before_write()
        self.writes += 1
        try:
            with translated():
                return action()
        except RateLimited as exc:
            self._pacer.note_retry_after(exc.retry_after)
            raise
        finally:
            self._pacer.after_write()

    def _index(self) -> dict[str, Issue]:
        """Key -> oldest issue, over every issue the app opened with the marker label."""
        query: dict[str, Any] = {"state": "all", "labels": [MARK_LABEL], "creator": self.app_login}
        found: dict[str, Issue] = {}
        with translated():
            for issue in self._repo.get_issues(sort="created", direction="asc", **query):
                key = key_from_body(issue.body or "")
                if key is not None and issue.pull_request is None:
                    found.setdefault(key, issue)
        return found

    def _create(self, spec: ItemSpec) -> Issue:
        """Open the issue with the hidden key marker and the marker label."""
        fields: dict[str, Any] = {
            "body": f"{spec.body}\n\n{key_marker(spec.key)}",
            "labels": list(dict.fromkeys([*spec.labels, MARK_LABEL])),
            "assignees": list(spec.assignees),
        }
        if spec.milestone:
            fields["milestone"] = self._milestone(spec.milestone, due_on=None)
        return self._write(lambda: self._repo.create_issue(spec.title, **fields))

    def _milestone(self, title: str, *, due_on: date | None) -> Milestone:
        """The milestone with this title (listed once per tracker), created when missing."""
        if self._milestones is None or title not in self._milestones:
            self._milestones = self._list_milestones()  # again: another run may have made it
        if title not in self._milestones:
            extra: dict[str, Any] = {"due_on": due_on} if due_on else {}
            made = self._create_once(lambda: self._repo.create_milestone(title, **extra))
            self._milestones[title] = made or self._list_milestones()[title]
        return self._milestones[title]

    def _list_milestones(self) -> dict[str, Milestone]:
        """Every milestone by title, open or closed."""
        with translated():
            return {m.title: m for m in self._repo.get_milestones(state="all")}

    def _create_once(self, create: Callable[[], T]) -> T | None:
        """A create where 422 already_exists means another run won the race (None then)."""
        try:
            return self._write(create)
        except TrackerRejected as exc:
            if "already_exists" not in str(exc):
                raise
            return None

    def _check_run(self, report: GateReport) -> CheckRun | None:
        """This app's run on the commit with the report's external_id, else its name."""
        ours = api.app_check_runs(self._repo, report.sha, self.app_login.removesuffix("[bot]"))
        by_id = [run for run in ours if run.external_id == report.external_id]
        return next(iter(by_id or [run for run in ours if run.name == report.name]), None)

    def _parent_id(self, child: ItemRef) -> int | None:
        """The issue id of the child's current parent, or None."""
        data = api.get_json(self._gh, f"{self._lazy(child).url}/parent")
        return int(data["id"]) if data else None

    def _id(self, ref: ItemRef) -> int:
        """The issue id behind a ref (read when the ref lacks it)."""
        return int(ref.internal_id) if ref.internal_id else self._fresh(ref).id

    def _lazy(self, ref: ItemRef) -> Issue:
        """A request-free handle on the issue a GitHub ref (`owner/repo#N`) names."""
        match = _REF.match(ref.external_id)
        if ref.tracker != self.name or match is None:
            raise TrackerRejected(f"not a GitHub issue reference: {ref.external_id!r}")
        return api.lazy_issue(self._gh, match["repo"], int(match["number"]))

    def _fresh(self, ref: ItemRef) -> Issue:
        """The issue as GitHub has it now (never cached: users edit mid-run)."""
        with translated():
            return self._lazy(ref).complete()

    def _ref(self, issue: Issue) -> ItemRef:
        """The ItemRef of an issue of this repository."""
        external_id = f"{self.repo_full_name}#{issue.number}"
        return ItemRef(self.name, external_id, issue.html_url, str(issue.id))


def _run_differs(run: CheckRun, report: GateReport) -> bool:
    """Whether the published run shows something other than the report."""
    shown = (run.status, run.conclusion, run.name, run.external_id)
    output = (run.output.title, run.output.summary) if run.output else (None, None)
    wanted = ("completed", report.conclusion, report.name, report.external_id)
    return shown != wanted or output != (report.title, report.summary)
