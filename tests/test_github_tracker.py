"""GitHubTracker against the fake GitHub over real HTTP: idempotency, pacing, every capability."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date

import pytest
from github import Github

from integrations.capabilities import (
    ChecklistHost,
    ChildLinker,
    GateHost,
    GateReport,
    LabelSpec,
    RepositoryAccess,
    RepositorySetup,
)
from integrations.errors import RateLimited, TrackerRejected, TrackerUnavailable
from integrations.github.checklist import ChecklistLine, render_section
from integrations.github.client import installation_client
from integrations.github.pacing import WritePacer
from integrations.github.tracker import GitHubTracker, status_label
from integrations.tracker import EnsureResult, ItemRef, ItemSpec, Tracker, WorkState
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread

INSTALLATION = 7001
REPO = "acme/widgets"
CONFIG = "granularity: control\n"
Make = Callable[..., GitHubTracker]


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@pytest.fixture(autouse=True)
def seeded(fake: FakeGitHub) -> None:
    fake.reset()
    fake.add_installation(INSTALLATION, "acme")
    fake.add_repo(REPO, installation_id=INSTALLATION)
    fake.set_permission(REPO, "alice", "write")


@pytest.fixture
def gh(fake: FakeGitHub, base: str) -> Iterator[Github]:
    with installation_client(fake.app_id, fake.private_key_pem, INSTALLATION, base_url=base) as c:
        yield c


@pytest.fixture
def make(gh: Github, fake: FakeGitHub) -> Make:
    def build(min_interval: float = 0.0, repo: str = REPO) -> GitHubTracker:
        pacer = WritePacer(min_interval, 400)
        return GitHubTracker(gh, repo, pacer=pacer, app_login=f"{fake.slug}[bot]")

    return build


@pytest.fixture
def tracker(make: Make) -> GitHubTracker:
    return make()


def specs(n: int, *, milestone: str | None = None) -> list[ItemSpec]:
    return [
        ItemSpec(f"rel-1:GV-{i}", f"GV-{i}", f"Do GV-{i}.", ("control",), milestone=milestone)
        for i in range(1, n + 1)
    ]


def ensure(t: GitHubTracker, items: list[ItemSpec], *, maybe_exist: bool) -> list[EnsureResult]:
    results: list[EnsureResult] = []
    t.ensure_items(items, maybe_exist=maybe_exist, on_ensured=results.append)
    return results


def one(t: GitHubTracker, title: str = "GV-1") -> ItemRef:
    [result] = ensure(t, [ItemSpec(f"rel-1:{title}", title, "body")], maybe_exist=False)
    return result.ref


# --- idempotent creation --------------------------------------------------------------------


def test_implements_the_protocol_and_every_capability(tracker: GitHubTracker) -> None:
    as_tracker: Tracker = tracker  # mypy checks these assignments structurally
    hosts: tuple[ChecklistHost, ChildLinker, RepositorySetup, GateHost, RepositoryAccess] = (
        tracker,
    ) * 5
    assert as_tracker.name == "github" and len(hosts) == 5 and tracker.writes == 0


def test_ensure_twice_makes_one_issue_per_key(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    first = ensure(tracker, specs(5), maybe_exist=False)
    again = ensure(tracker, specs(5), maybe_exist=True)
    assert [r.created for r in first] == [True] * 5 and [r.created for r in again] == [False] * 5
    assert [r.ref for r in first] == [r.ref for r in again]
    issues = fake.issues(REPO)
    assert len(issues) == 5
    ref = first[0].ref
    assert (ref.tracker, ref.external_id) == ("github", "acme/widgets#1")
    assert ref.internal_id == str(issues[0].id) and ref.url.endswith("/acme/widgets/issues/1")
    assert issues[0].body == "Do GV-1.\n\n<!-- controlbot:key=rel-1:GV-1 -->"
    assert issues[0].labels == ["control", "controlbot"]
    assert tracker.find_item("rel-1:GV-3") == first[2].ref
    assert tracker.find_item("rel-1:GV-9") is None


def test_ghost_create_then_maybe_exist_finds_it(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    fake.ghost_create_next()
    with pytest.raises(TrackerUnavailable):
        ensure(tracker, specs(1), maybe_exist=False)
    [result] = ensure(tracker, specs(1), maybe_exist=True)
    assert not result.created and len(fake.issues(REPO)) == 1


def test_crash_midway_then_rerun_converges(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    committed: list[EnsureResult] = []

    def crash_after_three(result: EnsureResult) -> None:
        committed.append(result)
        if len(committed) == 3:
            raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        tracker.ensure_items(specs(8), maybe_exist=False, on_ensured=crash_after_three)
    rerun = ensure(tracker, specs(8), maybe_exist=True)
    assert [r.created for r in rerun] == [False] * 3 + [True] * 5
    bodies = [issue.body or "" for issue in fake.issues(REPO)]
    assert len(bodies) == 8 and all(f"key=rel-1:GV-{i}" in bodies[i - 1] for i in range(1, 9))


def test_find_item_trusts_only_a_complete_listing_of_our_issues(
    tracker: GitHubTracker, fake: FakeGitHub
) -> None:
    marker = "<!-- controlbot:key=rel-1:GV-1 -->"
    fake.seed_issue(REPO, "copied by a human", body=marker, labels=["controlbot"], author="alice")
    fake.seed_issue(REPO, "ours, unlabelled", body=marker)
    assert tracker.find_item("rel-1:GV-1") is None
    fake.fail_next(1, status=502, path_pattern=r"/issues$", method="GET")
    with pytest.raises(TrackerUnavailable):
        tracker.find_item("rel-1:GV-1")


def test_72_paced_creates_never_hit_the_secondary_limit(make: Make, fake: FakeGitHub) -> None:
    fake.enable_secondary_limit(min_interval=0.05, per_minute=1000, retry_after=1)
    paced = make(min_interval=0.05)
    results = ensure(paced, specs(72), maybe_exist=False)
    assert len(results) == 72 and len(fake.issues(REPO)) == 72
    assert fake.secondary_limit_hits == 0 and paced.writes == 72


def test_unpaced_burst_is_rate_limited_and_pushes_the_pacer(gh: Github, fake: FakeGitHub) -> None:
    fake.enable_secondary_limit(min_interval=60, retry_after=7)
    pacer = WritePacer(0, 400, max_sleep=1)
    burst = GitHubTracker(gh, REPO, pacer=pacer, app_login=f"{fake.slug}[bot]")
    with pytest.raises(RateLimited) as limited:
        ensure(burst, specs(2), maybe_exist=False)
    assert limited.value.retry_after == 7
    with pytest.raises(RateLimited):  # the pacer now holds writes back ~7 s
        pacer.before_write()


# --- state ------------------------------------------------------------------------------------


def labels_of(fake: FakeGitHub, number: int) -> list[str]:
    return fake.repo(REPO).issues[number].labels


def test_set_state_round_trips(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    ref = one(tracker)
    for state in WorkState:
        tracker.set_state(ref, state)
        [remote] = tracker.fetch_states([ref])
        assert remote.state is state and remote.ref == ref
        assert (
            remote.updated_at.tzinfo is not None
            and remote.updated_at.utcoffset() == UTC.utcoffset(None)
        )
    issue = fake.repo(REPO).issues[1]
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    tracker.set_state(ref, WorkState.BLOCKED)
    assert issue.state == "open" and labels_of(fake, 1) == [
        "controlbot",
        status_label(WorkState.BLOCKED),
    ]
    tracker.set_state(ref, WorkState.DONE)
    assert (issue.state, issue.state_reason, labels_of(fake, 1)) == (
        "closed",
        "completed",
        ["controlbot"],
    )
    issue.state_reason = "duplicate"
    assert tracker.fetch_states([ref])[0].state is WorkState.TODO


def test_set_state_reports_changes_skips_no_op_writes_and_takes_no_note(
    tracker: GitHubTracker, fake: FakeGitHub
) -> None:
    ref = one(tracker)
    assert tracker.notes_with_state is False
    assert tracker.set_state(ref, WorkState.IN_PROGRESS) is True
    writes = tracker.writes
    assert tracker.set_state(ref, WorkState.IN_PROGRESS) is False
    assert tracker.set_state(ref, WorkState.TODO) is True
    assert tracker.set_state(ref, WorkState.TODO) is False
    assert tracker.writes == writes + 1  # only the label removal
    with pytest.raises(ValueError, match="comment"):  # the caller posts notes on its own
        tracker.set_state(ref, WorkState.DONE, note="closed by @alice")
    assert fake.repo(REPO).comments == {}
    assert fake.repo(REPO).issues[1].state == "open"


# --- checklist section --------------------------------------------------------------------


def section(*checked: bool, link: str | None = None) -> str:
    lines = [
        ChecklistLine(f"rel-1:GV-{i}", f"GV-{i}", "A control", "Govern", tick, link=link)
        for i, tick in enumerate(checked, start=1)
    ]
    return render_section("2 controls", lines)


def test_update_section_skips_unchanged_and_keeps_user_text(
    tracker: GitHubTracker, fake: FakeGitHub
) -> None:
    [parent] = ensure(
        tracker, [ItemSpec("rel-1", "Release", section(False, False))], maybe_exist=False
    )
    writes = tracker.writes
    assert tracker.update_section(parent.ref, section(False, False)) is False
    assert tracker.writes == writes
    issue = fake.repo(REPO).issues[1]
    issue.body = "Notes from the team\n- [x] my own box\n\n" + (issue.body or "")  # a user edit
    assert tracker.update_section(parent.ref, section(True, False, link="#7")) is True
    body = issue.body or ""
    assert body.startswith("Notes from the team\n- [x] my own box\n\n")
    assert "- [x] GV-1 A control (#7)" in body and body.endswith("<!-- controlbot:key=rel-1 -->")
    assert tracker.writes == writes + 1


def test_update_section_reads_fresh_so_a_tick_in_between_survives(
    tracker: GitHubTracker, fake: FakeGitHub
) -> None:
    [parent] = ensure(
        tracker, [ItemSpec("rel-1", "Release", section(False, False))], maybe_exist=False
    )
    tracker.update_section(parent.ref, section(False, False, link="#2"))  # our earlier read
    issue = fake.repo(REPO).issues[1]
    issue.body = (issue.body or "") + "\n\n- [x] reviewer sign-off"  # ticked by a person
    assert tracker.update_section(parent.ref, section(True, False, link="#2"))
    assert (issue.body or "").count("- [x] reviewer sign-off") == 1


# --- sub-issues -------------------------------------------------------------------------------


def test_link_child_by_id_and_idempotent(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    parent, child, other = (one(tracker, t) for t in ("P", "C", "O"))
    tracker.link_child(parent, child)
    tracker.link_child(parent, child)  # already there: no-op
    parent_issue = fake.repo(REPO).issues[1]
    assert parent_issue.sub_issue_ids == [fake.repo(REPO).issues[2].id]
    bare = ItemRef("github", child.external_id, child.url)  # no internal id: read it
    tracker.link_child(parent, bare)
    with pytest.raises(TrackerRejected, match="one parent"):
        tracker.link_child(other, child)


def test_the_101st_child_is_rejected(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    parent = one(tracker, "P")
    parent_issue = fake.repo(REPO).issues[1]
    for n in range(100):
        child = fake.seed_issue(REPO, f"child {n}", state="closed")
        parent_issue.sub_issue_ids.append(child.id)
        child.parent_id = parent_issue.id
    extra = one(tracker, "extra")
    with pytest.raises(TrackerRejected, match="more than 100 sub-issues"):
        tracker.link_child(parent, extra)


# --- labels, milestones, gate ---------------------------------------------------------------


def test_labels_and_milestone_are_idempotent(
    tracker: GitHubTracker, gh: Github, fake: FakeGitHub
) -> None:
    gh.get_repo(REPO).create_label("ControlBot", "ededed")
    gh.get_repo(REPO).create_milestone("old", state="closed")
    wanted = [LabelSpec("controlbot", "0e8a16"), LabelSpec("status: blocked", "#d93f0b", "Waiting")]
    tracker.ensure_labels(wanted)
    tracker.ensure_labels(wanted)
    tracker.ensure_milestone("model-x 2.0", due_on=date(2026, 12, 1))
    tracker.ensure_milestone("model-x 2.0", due_on=date(2026, 12, 1))
    tracker.ensure_milestone("old", due_on=None)
    assert tracker.writes == 2
    repo = fake.repo(REPO)
    assert sorted(repo.labels) == ["controlbot", "status: blocked"]
    assert repo.labels["status: blocked"].color == "d93f0b"
    assert sorted(m.title for m in repo.milestones.values()) == ["model-x 2.0", "old"]
    ensure(tracker, specs(3, milestone="model-x 2.0"), maybe_exist=False)
    assert {i.milestone for i in fake.issues(REPO)} == {2}
    assert fake.count_requests(method="GET", path_pattern=r"/milestones$") == 1


def test_publish_gate_creates_then_updates_one_run(
    tracker: GitHubTracker, fake: FakeGitHub
) -> None:
    sha = tracker.resolve_ref("main")
    report = GateReport(sha, "controlbot/gate", "action_required", "2 open", "GV-1, GV-2", "rel-1")
    tracker.publish_gate(report)
    tracker.publish_gate(report)  # unchanged: no write
    done = GateReport(sha, "controlbot/gate", "success", "All done", "0 open", "rel-1")
    tracker.publish_gate(done)
    [run] = fake.repo(REPO).check_runs.values()
    assert (run.status, run.conclusion, run.output["title"]) == ("completed", "success", "All done")
    assert tracker.writes == 2


def test_resolve_ref_for_branch_tag_and_sha(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    head = fake.repo(REPO).head_sha
    tagged = fake.set_tag(REPO, "v1.0", "ab" * 20)
    assert tracker.resolve_ref("main") == head
    assert tracker.resolve_ref("v1.0") == tagged
    assert tracker.resolve_ref(head) == head
    with pytest.raises(TrackerRejected):
        tracker.resolve_ref("no-such-ref")


# --- repository access -----------------------------------------------------------------------


def test_permission_roles(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    fake.set_permission(REPO, "bob", "read")
    fake.set_permission(REPO, "maya", "maintain")
    fake.set_permission(REPO, "ex", "none")
    assert [tracker.permission(u) for u in ("alice", "bob", "maya", "ex", "acme")] == [
        "write",
        "read",
        "maintain",
        "none",
        "admin",
    ]
    assert tracker.permission("ghost-user") == "none"  # 404


def test_read_config_from_repo_then_org_github_repo(make: Make, fake: FakeGitHub) -> None:
    fake.add_repo(
        "acme/.github", installation_id=INSTALLATION, files={".github/controlbot.yml": "org: 1\n"}
    )
    fake.add_repo(
        "acme/own", installation_id=INSTALLATION, files={".github/controlbot.yml": CONFIG}
    )
    assert make(repo="acme/own").read_config(".github/controlbot.yml") == CONFIG
    assert make(repo=REPO).read_config(".github/controlbot.yml") == "org: 1\n"
    assert make(repo=REPO).read_config(".github/other.yml") is None


def test_read_config_none_when_neither_has_it(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    assert tracker.read_config(".github/controlbot.yml") is None
    fake.add_repo("acme/.github", files={".github/controlbot.yml": "hidden: 1\n"})  # not installed
    assert tracker.read_config(".github/controlbot.yml") is None


def test_comment_react_and_latest_comment(tracker: GitHubTracker, fake: FakeGitHub) -> None:
    ref = one(tracker)
    tracker.comment(ref, "first")
    tracker.comment(ref, "second")
    bot = f"{fake.slug}[bot]"
    assert tracker.latest_comment(ref, author=bot.upper()) == "second"
    assert tracker.latest_comment(ref, author="alice") is None
    newest = max(fake.repo(REPO).comments)
    tracker.react(newest, "+1")
    assert [r.content for r in fake.repo(REPO).comments[newest].reactions] == ["+1"]


# --- the cost of a release ---------------------------------------------------------------------

LABELS = [LabelSpec("controlbot", "0e8a16"), LabelSpec("control", "1d76db")]
LABELS += [LabelSpec(status_label(s), "fbca04") for s in (WorkState.IN_PROGRESS, WorkState.BLOCKED)]


def open_release(t: GitHubTracker, n: int, *, children: bool) -> None:
    """What the sync does: labels, milestone, parent with checklist, items, links, checklist."""
    t.ensure_labels(LABELS)
    t.ensure_milestone("model-x 2.0", due_on=date(2026, 12, 1))
    flags = [False] * n
    parent_spec = ItemSpec("rel-1", "Release model-x 2.0", section(*flags), milestone="model-x 2.0")
    [parent] = ensure(t, [parent_spec], maybe_exist=True)
    if children:
        for result in ensure(t, specs(n, milestone="model-x 2.0"), maybe_exist=False):
            t.link_child(parent.ref, result.ref)
        t.update_section(parent.ref, section(*flags, link="#2"))
    else:
        t.update_section(parent.ref, section(*flags))


@pytest.mark.parametrize(("children", "expected"), [(True, 4 + 1 + 1 + 72 + 72 + 1), (False, 6)])
def test_content_creating_requests_per_release(
    tracker: GitHubTracker, fake: FakeGitHub, children: bool, expected: int
) -> None:
    open_release(tracker, 72, children=children)
    assert tracker.writes == expected == fake.count_requests(content_creating=True)
