"""JiraTracker against the fake Jira over real HTTP, in Cloud and Data Center modes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from jira import JIRA

from integrations.capabilities import Assignable
from integrations.errors import (
    ItemNotFound,
    RateLimited,
    TrackerAuthError,
    TrackerError,
    TrackerRejected,
    TrackerUnavailable,
)
from integrations.jira import JiraProjectConfig, JiraTracker, connect, key_label
from integrations.jira.config import Deployment
from integrations.tracker import EnsureResult, ItemRef, ItemSpec, Tracker, WorkState
from tests.fakes.jira import FakeJira, create_fake_jira_app
from tests.fakes.jira.seed import EPIC_LINK, EPIC_NAME
from tests.fakes.serving import serve_in_thread

VERSION = "gpt-5 2026.1"


@dataclass
class Site:
    """A running fake and how to reach it."""

    fake: FakeJira
    base: str

    def client(self) -> JIRA:
        """A client built by `connect`, with no retries."""
        if self.fake.is_cloud:
            return connect(
                self.base, email=self.fake.email, api_token=self.fake.api_token, max_retries=0
            )
        return connect(self.base, pat=self.fake.pat, max_retries=0)

    def tracker(self, **config: Any) -> JiraTracker:
        """A tracker on project CTRL in this site's deployment."""
        deployment: Deployment = "cloud" if self.fake.is_cloud else "datacenter"
        return JiraTracker(
            self.client(), JiraProjectConfig("CTRL", deployment=deployment, **config)
        )


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, Site]]:
    """One fake server per mode for the whole module."""
    with ExitStack() as stack:
        found = {}
        for mode in ("cloud", "dc"):
            fake = FakeJira(mode)
            found[mode] = Site(
                fake, stack.enter_context(serve_in_thread(create_fake_jira_app(fake)))
            )
        yield found


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest, sites: dict[str, Site]) -> Site:
    """Each mode in turn, freshly reset."""
    chosen = sites[request.param]
    chosen.fake.reset()
    return chosen


def specs(count: int, *, release: str = "rel-1", milestone: str | None = VERSION) -> list[ItemSpec]:
    """Control specs `rel-1:GV-<n>`."""
    return [
        ItemSpec(f"{release}:GV-{n}", f"GV-{n}: control {n}", f"Guidance {n}.", milestone=milestone)
        for n in range(1, count + 1)
    ]


def collect(tracker: JiraTracker, items: list[ItemSpec], **kw: Any) -> list[EnsureResult]:
    """ensure_items, returning what on_ensured saw."""
    seen: list[EnsureResult] = []
    tracker.ensure_items(items, on_ensured=seen.append, **kw)
    return seen


def open_release(tracker: JiraTracker, count: int) -> tuple[ItemRef, list[EnsureResult]]:
    """Version, epic and `count` controls, as the release sync does it."""
    tracker.ensure_version(VERSION, release_date=date(2026, 12, 15))
    epic = tracker.ensure_epic(
        ItemSpec("rel-1", "gpt-5 2026.1 controls", "Release."), version=VERSION
    )
    return epic, collect(tracker, specs(count), maybe_exist=False)


def status_of(site: Site, ref: ItemRef) -> tuple[str, str | None]:
    """The fake's status and resolution of an issue."""
    issue = site.fake.issue(ref.external_id)
    return issue.status, issue.resolution


def test_is_a_tracker(site: Site) -> None:
    """JiraTracker satisfies the Tracker protocol (checked by mypy on this assignment)."""
    tracker: Tracker = site.tracker()
    assert tracker.name == "jira"


def test_connect_needs_one_credential_set(site: Site) -> None:
    """No credentials, half of Cloud's, or both kinds are refused before any request."""
    with pytest.raises(TrackerAuthError, match="no Jira credentials"):
        connect(site.base)
    with pytest.raises(TrackerAuthError, match="both email and api_token"):
        connect(site.base, email="bot@example.com")
    with pytest.raises(TrackerError, match="not both"):
        connect(site.base, email="e", api_token="t", pat="p")
    assert site.fake.count() == 0


def test_bad_credentials_are_auth_errors(site: Site) -> None:
    """A refused serverInfo in the constructor becomes TrackerAuthError."""
    with pytest.raises(TrackerAuthError, match="401"):
        if site.fake.is_cloud:
            connect(site.base, email=site.fake.email, api_token="wrong", max_retries=0)
        else:
            connect(site.base, pat="wrong", max_retries=0)


def test_credentials_revoked_mid_session(site: Site) -> None:
    """A 401 on a later call is a TrackerAuthError too."""
    tracker = site.tracker()
    saved = (site.fake.api_token, site.fake.pat)
    site.fake.api_token, site.fake.pat = "rotated", "rotated"
    try:
        with pytest.raises(TrackerAuthError, match="401"):
            tracker.find_item("rel-1:GV-1")
    finally:
        site.fake.api_token, site.fake.pat = saved


def test_open_release_with_72_controls(site: Site) -> None:
    """72 controls take exactly 2 bulk calls; each gets labels, fixVersion and the epic."""
    tracker = site.tracker(components=("Evals",))
    site.fake.add_component("CTRL", "Evals")
    before = site.fake.count()
    epic, results = open_release(tracker, 72)
    assert site.fake.count("POST", r"/issue/bulk$") == 2
    assert site.fake.count("POST", r"/version$") == 1
    assert site.fake.count("POST", r"/issue$") == 1
    # project (+ field on DC), version, epic look-up, epic, 2 bulk calls; serverInfo came earlier
    assert site.fake.count() - before == (6 if site.fake.is_cloud else 7)
    assert [r.spec.key for r in results] == [f"rel-1:GV-{n}" for n in range(1, 73)]
    assert all(r.created for r in results) and len({r.ref.external_id for r in results}) == 72
    first = site.fake.issue(results[0].ref.external_id)
    assert first.fields["labels"] == ["controlbot", key_label("rel-1:GV-1")]
    assert [site.fake.versions[v].name for v in first.fields["fixVersions"]] == [VERSION]
    assert len(first.fields["components"]) == 1
    epic_issue = site.fake.issue(epic.external_id)
    if site.fake.is_cloud:
        assert first.fields["parent"] == epic_issue.id
    else:
        assert first.fields[EPIC_LINK] == epic.external_id
        assert epic_issue.fields[EPIC_NAME] == "gpt-5 2026.1 controls"
    assert results[0].ref.url == f"{site.base}/browse/{results[0].ref.external_id}"


def test_version_and_epic_are_idempotent(site: Site) -> None:
    """ensure_version/ensure_epic find what exists instead of creating again."""
    tracker = site.tracker()
    first = tracker.ensure_version(VERSION)
    again = site.tracker()
    assert again.ensure_version(VERSION) == first
    epic_spec = ItemSpec("rel-1", "Release epic", "")
    assert tracker.ensure_epic(epic_spec, version=VERSION) == again.ensure_epic(
        epic_spec, version=VERSION
    )
    assert site.fake.count("POST", r"/version$") == 1
    assert site.fake.count("POST", r"/issue$") == 1


def test_ensure_items_twice_creates_each_once(site: Site) -> None:
    """A second run with maybe_exist finds every item by its key label and creates nothing."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    first = collect(tracker, specs(55), maybe_exist=True)
    second = collect(site.tracker(), specs(55), maybe_exist=True)
    assert len(site.fake.issues) == 55
    assert site.fake.count("POST", r"/issue/bulk$") == 2
    assert [r.created for r in second] == [False] * 55
    assert [r.ref for r in second] == [r.ref for r in first]


def test_partial_bulk_failure_retries_only_failed(site: Site) -> None:
    """Elements refused in a batch are retried once, alone; successes are reported at once."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    items = specs(6)
    items[1] = ItemSpec("rel-1:late-1", "late", "", milestone="late")
    items[4] = ItemSpec("rel-1:late-2", "late", "", milestone="late")
    seen: list[EnsureResult] = []

    def on_ensured(result: EnsureResult) -> None:
        """The first success makes the missing version appear, as if someone fixed it."""
        seen.append(result)
        if len(seen) == 1:
            site.fake.create_version({"name": "late", "project": "CTRL"})

    tracker.ensure_items(items, maybe_exist=False, on_ensured=on_ensured)
    assert site.fake.count("POST", r"/issue/bulk$") == 2
    assert len(site.fake.issues) == 6
    assert [r.spec.key for r in seen[-2:]] == ["rel-1:late-1", "rel-1:late-2"]
    assert sorted(r.spec.key for r in seen) == sorted(s.key for s in items)


def test_refused_twice_raises_after_reporting_successes(site: Site) -> None:
    """Items still refused after the retry raise TrackerRejected with keys and Jira's reasons."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    items = [*specs(3), ItemSpec("rel-1:bad", "bad", "", milestone="no-such-version")]
    seen: list[EnsureResult] = []
    with pytest.raises(TrackerRejected, match=r"rel-1:bad: fixVersions: Version name 'no-such"):
        tracker.ensure_items(items, maybe_exist=False, on_ensured=seen.append)
    assert [r.spec.key for r in seen] == ["rel-1:GV-1", "rel-1:GV-2", "rel-1:GV-3"]
    assert site.fake.count("POST", r"/issue/bulk$") == 2


def test_ghost_create_then_maybe_exist_does_not_duplicate(site: Site) -> None:
    """A 500 that in fact created is TrackerUnavailable; the re-run finds the items."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    site.fake.ghost_create_next()
    seen: list[EnsureResult] = []
    with pytest.raises(TrackerUnavailable, match="500"):
        tracker.ensure_items(specs(8), maybe_exist=False, on_ensured=seen.append)
    assert seen == [] and len(site.fake.issues) == 8
    again = collect(tracker, specs(8), maybe_exist=True)
    assert [r.created for r in again] == [False] * 8
    assert len(site.fake.issues) == 8


def test_find_item(site: Site) -> None:
    """find_item returns the issue with the exact key label, None when the search finds none."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    [result] = collect(tracker, [ItemSpec("rel 1:GV 1.1", "spaces", "")], maybe_exist=False)
    assert tracker.find_item("rel 1:GV 1.1") == result.ref
    assert tracker.find_item("rel 1:GV 1.2") is None


def test_set_state_walks_the_workflow(site: Site) -> None:
    """done (via In Progress), no-op, not applicable, reopen to todo, in progress."""
    tracker = site.tracker()
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    ref = result.ref
    assert tracker.notes_with_state is True
    assert tracker.set_state(ref, WorkState.DONE, note="Evidence linked.") is True
    assert status_of(site, ref) == ("Done", "Done")
    assert [c.body for c in site.fake.issue(ref.external_id).comments] == ["Evidence linked."]
    before = site.fake.count()
    assert tracker.set_state(ref, WorkState.DONE, note="again") is False
    assert site.fake.count() - before == 1  # one GET, nothing written
    assert len(site.fake.issue(ref.external_id).comments) == 1
    tracker.set_state(ref, WorkState.NOT_APPLICABLE, note="Model has no tool use.")
    assert status_of(site, ref) == ("Won't Do", "Won't Do")
    tracker.set_state(ref, WorkState.TODO)
    assert status_of(site, ref) == ("To Do", None)
    tracker.set_state(ref, WorkState.IN_PROGRESS)
    assert status_of(site, ref) == ("In Progress", None)
    tracker.set_state(ref, WorkState.BLOCKED)  # same category, no override: nothing to do
    assert status_of(site, ref) == ("In Progress", None)
    [state] = tracker.fetch_states([ref])
    assert state.state is WorkState.IN_PROGRESS


def test_not_applicable_from_todo_sets_wont_do_resolution(site: Site) -> None:
    """The N/A transition's screen gets resolution Won't Do in the same request as the note."""
    tracker = site.tracker()
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    before = site.fake.count()
    tracker.set_state(result.ref, WorkState.NOT_APPLICABLE, note="Out of scope.")
    assert site.fake.count() - before == 3  # issue, transitions, transition
    assert status_of(site, result.ref) == ("Won't Do", "Won't Do")
    assert [c.body for c in site.fake.issue(result.ref.external_id).comments] == ["Out of scope."]


def test_override_wins(site: Site) -> None:
    """A per-project override (transition id) is taken over the category rule."""
    tracker = site.tracker(status_overrides={WorkState.DONE: "41"})
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    tracker.set_state(result.ref, WorkState.DONE)
    assert status_of(site, result.ref) == ("Won't Do", "Done")
    [state] = tracker.fetch_states([result.ref])
    assert state.state is WorkState.DONE


def test_no_suitable_transition_is_rejected(site: Site) -> None:
    """Without an N/A resolution or transition, TrackerRejected names what is available."""
    tracker = site.tracker(na_resolutions=("Obsolete",))
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    with pytest.raises(TrackerRejected, match=r"21 'In Progress'.*41 \"Won't Do\""):
        tracker.set_state(result.ref, WorkState.NOT_APPLICABLE)
    assert status_of(site, result.ref) == ("To Do", None)


def test_rate_limit_is_rate_limited_with_retry_after(site: Site) -> None:
    """A 429 becomes RateLimited carrying Retry-After."""
    tracker = site.tracker()
    site.fake.rate_limit_next(1, retry_after=7)
    with pytest.raises(RateLimited) as err:
        tracker.find_item("rel-1:GV-1")
    assert err.value.retry_after == 7


def test_server_errors_are_unavailable(site: Site) -> None:
    """A 503 on a write becomes TrackerUnavailable."""
    tracker = site.tracker()
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    site.fake.fail_next(1, status=503, path_pattern=r"/comment$")
    with pytest.raises(TrackerUnavailable, match="503"):
        tracker.comment(result.ref, "lost")


def test_missing_issue_is_item_not_found(site: Site) -> None:
    """Writes to an issue that does not exist raise ItemNotFound."""
    tracker = site.tracker()
    ghost = ItemRef("jira", "CTRL-999", f"{site.base}/browse/CTRL-999")
    with pytest.raises(ItemNotFound):
        tracker.set_state(ghost, WorkState.DONE)
    with pytest.raises(ItemNotFound):
        tracker.comment(ghost, "hello")


def test_comment_and_remote_link_upsert(site: Site) -> None:
    """Comments are posted; a remote link with the same globalId is updated, not duplicated."""
    tracker = site.tracker()
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    tracker.comment(result.ref, "Reminder: due Friday.")
    gid = "https://github.com/acme/models/issues/7"
    tracker.add_link(result.ref, gid, "acme/models#7", gid)
    tracker.add_link(result.ref, gid, "acme/models#7 (renamed)", gid)
    issue = site.fake.issue(result.ref.external_id)
    assert [c.body for c in issue.comments] == ["Reminder: due Friday."]
    assert [(link.global_id, link.object["title"]) for link in issue.remote_links] == [
        (gid, "acme/models#7 (renamed)")
    ]


def test_fetch_states_pages_over_many_issues(site: Site) -> None:
    """60 refs: key chunks of 50, pages of 20; deleted issues are left out."""
    tracker = site.tracker()
    tracker.ensure_version(VERSION)
    refs = [r.ref for r in collect(tracker, specs(60), maybe_exist=False)]
    site.fake.set_status(refs[0].external_id, "Done")
    site.fake.set_status(refs[1].external_id, "Won't Do")
    site.fake.transition(refs[2].external_id, "In Progress")
    site.fake.delete_issue(refs[3].external_id)
    site.fake.page_cap = 20
    try:
        before = site.fake.count()
        states = tracker.fetch_states(refs)
        searches = site.fake.count() - before
    finally:
        site.fake.page_cap = 50
    assert [s.ref for s in states] == refs[:3] + refs[4:]
    assert [s.state for s in states[:4]] == [
        WorkState.DONE,
        WorkState.NOT_APPLICABLE,
        WorkState.IN_PROGRESS,
        WorkState.TODO,
    ]
    assert states[0].note == "Done" and states[0].updated_at.tzinfo is not None
    assert searches == 5  # 50 keys: 400 (one deleted) + 3 pages; 10 keys: 1 page


def test_search_release_by_version_or_label(site: Site) -> None:
    """Reconcile finds controlbot's issues by fixVersion, or by label when no such version."""
    tracker = site.tracker()
    epic, results = open_release(tracker, 3)
    site.fake.set_status(results[0].ref.external_id, "Done")
    by_version = tracker.search_release(VERSION)
    assert [s.ref for s in by_version] == [epic] + [r.ref for r in results]
    assert by_version[1].state is WorkState.DONE
    by_label = tracker.search_release(key_label("rel-1:GV-2"))
    assert [s.ref for s in by_label] == [results[1].ref]


def test_check_project(site: Site) -> None:
    """A clean project has no problems; a required field we do not fill is reported."""
    assert site.tracker().check_project() == []
    site.fake.require_field("CTRL", "components")
    problems = site.tracker(issue_type="Bug").check_project()
    assert problems == [
        "issue type 'Bug' is missing in project CTRL",
        "Epic: required field 'Component/s' (components) is not filled by controlbot",
    ]
    deployment: Deployment = "cloud" if site.fake.is_cloud else "datacenter"
    elsewhere = JiraTracker(site.client(), JiraProjectConfig("NOPE", deployment=deployment))
    assert elsewhere.check_project() == [
        "Jira project NOPE does not exist or this user cannot see it"
    ]


def test_assign_by_account_id_or_username(site: Site) -> None:
    """One PUT assignee: Cloud by accountId, Data Center by username; no one unassigns."""
    tracker = site.tracker()
    assert isinstance(tracker, Assignable)
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    key, cloud = result.ref.external_id, site.fake.is_cloud
    ident = site.fake.add_user("5b10ac8d82e05b22cc7d4ef5" if cloud else "gowner", name="Grace O")
    before = site.fake.count()
    tracker.set_assignees(result.ref, [ident])
    assert site.fake.count() - before == 1
    assert site.fake.count("PUT", rf"^/rest/api/2/issue/{key}/assignee$") == 1
    stored = site.fake.issue(key).fields["assignee"]
    assert (stored["accountId" if cloud else "name"], stored["displayName"]) == (ident, "Grace O")
    shown = site.client().issue(key).fields.assignee
    assert shown is not None and shown.displayName == "Grace O"
    assert getattr(shown, "accountId" if cloud else "name") == ident
    tracker.set_assignees(result.ref, [])
    assert site.fake.issue(key).fields["assignee"] is None


def test_assign_errors_are_translated(site: Site) -> None:
    """Unknown or unassignable user: TrackerRejected with Jira's reason; unknown issue: 404."""
    tracker = site.tracker()
    [result] = collect(tracker, specs(1, milestone=None), maybe_exist=False)
    site.fake.add_user("guest", can_be_assigned=False)
    for who in ("nobody", "guest"):
        with pytest.raises(TrackerRejected, match=rf"\(400\): assignee: User '{who}' cannot be"):
            tracker.set_assignees(result.ref, [who])
    with pytest.raises(TrackerRejected, match="one assignee, not 2"):
        tracker.set_assignees(result.ref, ["guest", "nobody"])
    assert site.fake.issue(result.ref.external_id).fields.get("assignee") is None
    site.fake.add_user("ada")
    with pytest.raises(ItemNotFound, match=r"\(404\)"):
        tracker.set_assignees(ItemRef("jira", "CTRL-999", ""), ["ada"])
    site.fake.fail_next(1, status=503, path_pattern=r"/assignee$")
    with pytest.raises(TrackerUnavailable, match="503"):
        tracker.set_assignees(result.ref, ["ada"])
