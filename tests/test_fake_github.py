"""The fake GitHub, driven by the real PyGithub over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.ContentFile import ContentFile
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Repository import Repository

from tests.fakes.github import FakeGitHub, create_fake_github_app, generate_key_pair, make_app_jwt
from tests.fakes.serving import serve_in_thread

INSTALLATION = 7001
REPO = "acme/widgets"
CONFIG = "version: 1\nproject: widgets\n"


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
    fake.add_repo(REPO, installation_id=INSTALLATION, files={".github/controlbot.yml": CONFIG})
    fake.add_repo("acme/secret")  # exists, but the installation cannot see it
    fake.set_permission(REPO, "alice", "maintain")


def app_auth(fake: FakeGitHub) -> Auth.AppAuth:
    return Auth.AppAuth(fake.app_id, fake.private_key_pem)


def github(base: str, auth: Auth.Auth, *, timeout: int = 15) -> Github:
    """A PyGithub client with retries and client-side throttling off, as tests need."""
    return Github(
        auth=auth,
        base_url=base,
        timeout=timeout,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


@pytest.fixture
def gh(fake: FakeGitHub, base: str) -> Iterator[Github]:
    with github(base, app_auth(fake).get_installation_auth(INSTALLATION)) as client:
        yield client


@pytest.fixture
def repo(gh: Github) -> Repository:
    return gh.get_repo(REPO)


def integration(fake: FakeGitHub, base: str, auth: Auth.AppAuth | None = None) -> GithubIntegration:
    return GithubIntegration(
        auth=auth or app_auth(fake),
        base_url=base,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


# --- App authentication ----------------------------------------------------------------


def test_token_exchange_and_installation_lookups(fake: FakeGitHub, base: str) -> None:
    with integration(fake, base) as gi:
        token = gi.get_access_token(INSTALLATION)
        assert token.token.startswith("ghs_")
        lifetime = token.expires_at - datetime.now(UTC)
        assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)
        assert token.permissions["issues"] == "write"
        assert gi.get_repo_installation("acme", "widgets").id == INSTALLATION
        assert gi.get_org_installation("acme").id == INSTALLATION
        assert [i.id for i in gi.get_installations()] == [INSTALLATION]
        assert gi.get_app().slug == fake.slug


def test_bad_jwt_is_401(fake: FakeGitHub, base: str) -> None:
    stranger = Auth.AppAuth(fake.app_id, generate_key_pair().private_pem)
    with integration(fake, base, stranger) as gi, pytest.raises(GithubException) as wrong_key:
        gi.get_access_token(INSTALLATION)
    assert wrong_key.value.status == 401
    too_long = make_app_jwt(fake.app_id, fake.private_key_pem, expires_in=900)
    with (
        github(base, Auth.AppAuthToken(too_long)) as client,
        pytest.raises(GithubException) as far_future,
    ):
        client.requester.requestJsonAndCheck("GET", "/app")
    assert far_future.value.status == 401
    assert "too far in the future" in far_future.value.data["message"]


def test_expired_or_unknown_token_is_bad_credentials(fake: FakeGitHub, base: str) -> None:
    token = fake.issue_token(INSTALLATION)
    with github(base, Auth.Token(token)) as client:
        assert client.get_repo(REPO).full_name == REPO
        fake.advance_clock(3601)
        with pytest.raises(BadCredentialsException):
            client.get_repo(REPO)
    with (
        github(base, Auth.Token("ghs_nope")) as client,
        pytest.raises(BadCredentialsException) as bad,
    ):
        client.get_repo(REPO)
    assert bad.value.headers is not None
    assert bad.value.headers["x-ratelimit-limit"] == "60"  # unauthenticated budget


def test_short_token_lifetime_makes_pygithub_refresh(fake: FakeGitHub, gh: Github) -> None:
    fake.token_lifetime = 5  # under PyGithub's 20 s refresh margin: a new token every request
    gh.get_repo(REPO)
    gh.get_repo(REPO)
    assert fake.count_requests(method="POST", path_pattern="/access_tokens$") == 2


def test_repository_outside_installation_is_404(gh: Github) -> None:
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/secret")


def test_contents_for_config(repo: Repository, fake: FakeGitHub) -> None:
    config = repo.get_contents(".github/controlbot.yml")
    assert isinstance(config, ContentFile) and config.decoded_content.decode() == CONFIG
    fake.set_file(REPO, ".github/controlbot.yml", "version: 2\n", ref="next")
    on_branch = repo.get_contents(".github/controlbot.yml", ref="next")
    assert isinstance(on_branch, ContentFile) and on_branch.decoded_content == b"version: 2\n"
    listing = repo.get_contents(".github")
    assert isinstance(listing, list) and [f.path for f in listing] == [".github/controlbot.yml"]
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.yml")


# --- issues, labels, milestones ------------------------------------------------------------


def test_issue_lifecycle(repo: Repository, fake: FakeGitHub) -> None:
    milestone = repo.create_milestone("v1.0")
    issue = repo.create_issue(
        "GV-1.1", body="do it", labels=["control"], assignees=["alice"], milestone=milestone
    )
    assert issue.number == 1 and issue.id != issue.number
    assert issue.user.login == f"{fake.slug}[bot]" and issue.user.type == "Bot"
    assert [lab.name for lab in issue.labels] == ["control"]
    assert issue.assignees[0].login == "alice" and issue.milestone.number == milestone.number
    issue.edit(title="GV-1.1 (renamed)")
    issue.edit(state="closed", state_reason="not_planned")
    fetched = repo.get_issue(1)
    assert fetched.title == "GV-1.1 (renamed)"
    assert (fetched.state, fetched.state_reason) == ("closed", "not_planned")
    assert fetched.closed_at is not None
    fetched.edit(state="open")
    assert fetched.state == "open" and fetched.state_reason == "reopened"
    assert fetched.closed_at is None
    with pytest.raises(GithubException) as bad_assignee:
        repo.create_issue("x", assignees=["mallory"])
    assert bad_assignee.value.status == 422


def test_list_paginates_with_link_headers(gh: Github, repo: Repository, fake: FakeGitHub) -> None:
    for n in range(65):
        fake.seed_issue(REPO, f"issue {n}", labels=["control"] if n % 2 else [])
    fake.seed_issue(REPO, "done", state="closed")
    issues = list(repo.get_issues(state="open"))
    assert len(issues) == 65 and issues[0].title == "issue 64"
    assert fake.count_requests(method="GET", path_pattern=r"/issues$") == 3  # 30 + 30 + 5
    everything = repo.get_issues(state="all")
    assert everything.totalCount == 66 and len(list(everything)) == 66
    assert len(list(repo.get_issues(state="open", labels=["control"]))) == 32
    assert repo.get_issues(state="closed")[0].title == "done"
    found = gh.search_issues("issue repo:acme/widgets")
    assert found.totalCount == 65 and len(list(found)) == 65


def test_labels_and_duplicate_422(repo: Repository) -> None:
    repo.create_label("control", "0e8a16", "A control")
    with pytest.raises(GithubException) as dup:
        repo.create_label("Control", "000000")
    assert dup.value.status == 422
    assert dup.value.data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    assert repo.get_label("control").description == "A control"
    issue = repo.create_issue("t")
    issue.add_to_labels("control", "status:open")
    issue.set_labels("control", "risk:high")
    issue.remove_from_labels("risk:high")
    assert [lab.name for lab in issue.get_labels()] == ["control"]
    assert {lab.name for lab in repo.get_labels()} == {"control", "status:open", "risk:high"}


def test_milestones(repo: Repository) -> None:
    created = repo.create_milestone("model-x 2.0", description="release")
    with pytest.raises(GithubException) as dup:
        repo.create_milestone("model-x 2.0")
    assert dup.value.status == 422
    assert dup.value.data["errors"][0]["code"] == "already_exists"
    assert repo.get_milestone(created.number).title == "model-x 2.0"
    repo.create_issue("a", milestone=created)
    assert [m.open_issues for m in repo.get_milestones()] == [1]


def test_comment_and_reaction(repo: Repository, fake: FakeGitHub) -> None:
    issue = repo.create_issue("t")
    comment = issue.create_comment("status: pending")
    comment.edit("status: done")
    reaction = comment.create_reaction("+1")
    assert reaction.content == "+1"
    again = comment.create_reaction("+1")  # same user, same content: the existing reaction
    assert again.id == reaction.id
    [listed] = list(issue.get_comments())
    assert listed.body == "status: done" and listed.reactions["+1"] == 1
    assert listed.user.login == f"{fake.slug}[bot]"


# --- sub-issues ------------------------------------------------------------------------------


def test_sub_issues_by_id(repo: Repository) -> None:
    parent, child, other = (repo.create_issue(t) for t in ("parent", "child", "other"))
    added = parent.add_sub_issue(child)  # PyGithub sends child.id, not child.number
    assert added.number == child.number
    assert [s.number for s in parent.get_sub_issues()] == [child.number]
    child.edit(state="closed")
    summary = repo.get_issue(parent.number).sub_issues_summary
    assert (summary.total, summary.completed, summary.percent_completed) == (1, 1, 100)
    with pytest.raises(GithubException) as has_parent:
        other.add_sub_issue(child)
    assert has_parent.value.status == 422
    with pytest.raises(UnknownObjectException):
        parent.add_sub_issue(other.number)  # a number is not an id
    parent.remove_sub_issue(child)
    assert list(parent.get_sub_issues()) == []


def test_sub_issue_cap_counts_closed_children(repo: Repository, fake: FakeGitHub) -> None:
    parent = repo.create_issue("parent")
    for n in range(100):
        child = fake.seed_issue(REPO, f"child {n}", state="closed")
        fake.repo(REPO).issues[parent.number].sub_issue_ids.append(child.id)
        child.parent_id = parent.id
    extra = fake.seed_issue(REPO, "one too many")
    with pytest.raises(GithubException) as full:
        parent.add_sub_issue(extra.id)
    assert full.value.status == 422
    assert len(list(parent.get_sub_issues())) == 100


# --- checks, permissions, search --------------------------------------------------------------


def test_check_run_create_edit_list(repo: Repository, fake: FakeGitHub) -> None:
    sha = fake.repo(REPO).head_sha
    run = repo.create_check_run("controlbot/gate", sha, status="in_progress", external_id="r1")
    assert run.status == "in_progress" and run.conclusion is None
    run.edit(conclusion="failure", output={"title": "2 open", "summary": "GV-1.1, MP-2.3"})
    assert (run.status, run.conclusion) == ("completed", "failure")
    [listed] = list(repo.get_commit(sha).get_check_runs())
    assert listed.id == run.id and listed.output.title == "2 open"
    assert repo.get_check_run(run.id).external_id == "r1"


def test_collaborator_permission(repo: Repository) -> None:
    assert repo.get_collaborator_permission("alice") == "write"
    assert repo.get_collaborator_role_name("alice") == "maintain"
    assert repo.get_collaborator_permission("acme") == "admin"


def test_search_by_hidden_marker(gh: Github, repo: Repository, fake: FakeGitHub) -> None:
    repo.create_issue("GV-1.1", body="text\n<!-- controlbot:release=r1 control=GV-1.1 -->")
    repo.create_issue("GV-1.2", body="text\n<!-- controlbot:release=r1 control=GV-1.2 -->")
    query = '"controlbot:release=r1 control=GV-1.1" in:body is:issue state:open repo:acme/widgets'
    found = gh.search_issues(query)
    assert found.totalCount == 1 and found[0].title == "GV-1.1"
    assert not found.incomplete_results
    assert gh.search_issues('"release=r1" label:control repo:acme/widgets').totalCount == 0
    assert gh.search_issues('"release=r1" state:closed repo:acme/widgets').totalCount == 0
    fake.set_search_lag(60)
    assert gh.search_issues('"release=r1" repo:acme/widgets').totalCount == 0


# --- rate limits and failures -----------------------------------------------------------------


def test_rate_limit_headers_and_primary_exhaustion(gh: Github, fake: FakeGitHub) -> None:
    gh.get_repo(REPO)
    remaining, limit = gh.rate_limiting
    assert limit == 5000 and remaining == 4999
    assert gh.rate_limiting_resettime > datetime.now(UTC).timestamp()
    assert gh.get_rate_limit().resources.core.remaining == 4999
    fake.set_rate_limit(100, remaining=1)
    gh.get_repo(REPO)
    with pytest.raises(RateLimitExceededException) as exhausted:
        gh.get_repo(REPO)
    assert exhausted.value.status == 403 and exhausted.value.headers is not None
    assert exhausted.value.headers["x-ratelimit-remaining"] == "0"


def test_secondary_limit_403_with_retry_after(repo: Repository, fake: FakeGitHub) -> None:
    fake.enable_secondary_limit(min_interval=60, retry_after=1)  # wide gap: never flaky
    repo.create_issue("first")
    with pytest.raises(RateLimitExceededException) as limited:
        repo.create_issue("second")
    assert limited.value.status == 403 and limited.value.headers is not None
    assert limited.value.headers["retry-after"] == "1"
    assert fake.secondary_limit_hits == 1
    assert [i.title for i in fake.issues(REPO)] == ["first"]
    assert fake.count_requests(content_creating=True) == 2


def test_secondary_limit_per_minute(repo: Repository, fake: FakeGitHub) -> None:
    fake.enable_secondary_limit(min_interval=0, per_minute=3, retry_after=7)
    issue = repo.create_issue("one")
    issue.create_comment("two")
    issue.edit(body="three")
    with pytest.raises(RateLimitExceededException) as limited:
        issue.create_comment("four")
    assert limited.value.headers is not None and limited.value.headers["retry-after"] == "7"
    repo.get_issue(issue.number)  # reads are not content-creating
    fake.disable_secondary_limit()
    issue.create_comment("five")
    assert fake.secondary_limit_hits == 1


def test_injected_502_then_recovery(repo: Repository, fake: FakeGitHub) -> None:
    fake.fail_next(1, status=502, path_pattern=r"/issues$")
    with pytest.raises(GithubException) as failed:
        repo.create_issue("t")
    assert failed.value.status == 502
    assert fake.issues(REPO) == []
    assert repo.create_issue("t").number == 1


def test_ghost_create_succeeds_behind_a_500(repo: Repository, fake: FakeGitHub) -> None:
    fake.ghost_create_next()
    with pytest.raises(GithubException) as ghost:
        repo.create_issue("ghost")
    assert ghost.value.status == 500
    assert [i.title for i in repo.get_issues()] == ["ghost"]


def test_timeout_lets_the_client_give_up(fake: FakeGitHub, base: str) -> None:
    token = fake.issue_token(INSTALLATION)
    with github(base, Auth.Token(token), timeout=1) as client:
        fake.timeout_next(1, seconds=2.0, path_pattern="/repos/")
        with pytest.raises(requests.exceptions.Timeout):
            client.get_repo(REPO)
        assert client.get_repo(REPO).full_name == REPO


def test_missing_permission_is_403(fake: FakeGitHub, base: str) -> None:
    fake.add_installation(7002, "beta", permissions={"issues": "read", "metadata": "read"})
    fake.add_repo("beta/readonly", installation_id=7002)
    with github(base, Auth.Token(fake.issue_token(7002))) as client:
        readonly = client.get_repo("beta/readonly")
        with pytest.raises(GithubException) as denied:
            readonly.create_issue("t")
    assert denied.value.status == 403
