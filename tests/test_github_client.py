"""GitHub clients, error translation, the write pacer and the manifest conversion."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from github import Auth, Github

from integrations.errors import (
    ItemNotFound,
    RateLimited,
    TrackerAuthError,
    TrackerRejected,
    TrackerUnavailable,
)
from integrations.github.client import app_integration, installation_client, read_only_retry
from integrations.github.errors import retry_after, translated
from integrations.github.manifest import AppCredentials, convert_manifest_code
from integrations.github.pacing import WritePacer
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import free_port, serve_in_thread

INSTALLATION = 7001
REPO = "acme/widgets"


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


@pytest.fixture
def gh(fake: FakeGitHub, base: str) -> Iterator[Github]:
    with installation_client(fake.app_id, fake.private_key_pem, INSTALLATION, base_url=base) as c:
        yield c


# --- clients ------------------------------------------------------------------------------


def test_installation_client_caches_its_token_and_does_not_throttle(
    gh: Github, fake: FakeGitHub
) -> None:
    repo = gh.get_repo(REPO)
    started = time.monotonic()
    for n in range(4):
        repo.create_issue(f"t{n}")
    assert time.monotonic() - started < 1.5  # PyGithub's own 1 s between writes is off
    assert fake.count_requests(method="POST", path_pattern="/access_tokens$") == 1
    assert len(fake.issues(REPO)) == 4


def test_app_integration_finds_the_installation(fake: FakeGitHub, base: str) -> None:
    with app_integration(fake.app_id, fake.private_key_pem, base_url=base) as gi:
        assert gi.get_repo_installation("acme", "widgets").id == INSTALLATION


def test_read_only_retry_retries_reads_but_never_posts(fake: FakeGitHub, base: str) -> None:
    retry = read_only_retry(total=2)
    assert "POST" not in (retry.allowed_methods or ())
    key = fake.private_key_pem
    with installation_client(fake.app_id, key, INSTALLATION, base_url=base, retry=retry) as gh:
        fake.fail_next(1, status=502, path_pattern=r"/repos/acme/widgets$")
        repo = gh.get_repo(REPO)  # retried after the 502
        fake.fail_next(1, status=502, path_pattern=r"/issues$", method="POST")
        with pytest.raises(TrackerUnavailable), translated():
            repo.create_issue("once")
    assert fake.count_requests(method="POST", path_pattern=r"/issues$") == 1
    assert fake.count_requests(method="GET", path_pattern=r"/repos/acme/widgets$") == 2


# --- error translation --------------------------------------------------------------------


def test_bad_credentials_is_auth_error(base: str) -> None:
    client = Github(auth=Auth.Token("ghs_nope"), base_url=base, retry=None)
    with client, pytest.raises(TrackerAuthError), translated():
        client.get_repo(REPO)


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_is_rate_limited_with_retry_after(
    gh: Github, fake: FakeGitHub, status: int
) -> None:
    fake.enable_secondary_limit(min_interval=60, retry_after=7, status=status)
    repo = gh.get_repo(REPO)
    repo.create_issue("first")
    with pytest.raises(RateLimited) as limited, translated():
        repo.create_issue("second")
    assert limited.value.retry_after == 7


def test_primary_exhaustion_waits_until_the_reset(gh: Github, fake: FakeGitHub) -> None:
    gh.get_repo(REPO)
    fake.set_rate_limit(100, remaining=0, reset_in=120)
    with pytest.raises(RateLimited) as limited, translated():
        gh.get_repo(REPO)
    assert 100 < limited.value.retry_after <= 121


def test_missing_permission_is_auth_error(fake: FakeGitHub, base: str) -> None:
    fake.add_installation(7002, "beta", permissions={"issues": "read", "metadata": "read"})
    fake.add_repo("beta/readonly", installation_id=7002)
    with installation_client(fake.app_id, fake.private_key_pem, 7002, base_url=base) as client:
        repo = client.get_repo("beta/readonly")
        with pytest.raises(TrackerAuthError, match="not accessible"), translated():
            repo.create_issue("t")


def test_404_422_and_5xx(gh: Github, fake: FakeGitHub) -> None:
    repo = gh.get_repo(REPO)
    with pytest.raises(ItemNotFound), translated():
        repo.get_issue(999)
    invalid = "Validation Failed: Issue.assignees invalid"
    with pytest.raises(TrackerRejected, match=invalid), translated():
        repo.create_issue("x", assignees=["mallory"])
    fake.fail_next(1, status=502)
    with pytest.raises(TrackerUnavailable, match="502"), translated():
        repo.get_issue(1)


def test_timeout_and_refused_connection_are_unavailable(fake: FakeGitHub, base: str) -> None:
    key = fake.private_key_pem
    with installation_client(fake.app_id, key, INSTALLATION, base_url=base, timeout=1) as gh:
        gh.get_repo(REPO)
        fake.timeout_next(1, seconds=2.0, path_pattern="/repos/")
        with pytest.raises(TrackerUnavailable), translated():
            gh.get_repo(REPO)
    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = installation_client(fake.app_id, key, INSTALLATION, base_url=nowhere)
    with unreachable, pytest.raises(TrackerUnavailable), translated():
        unreachable.get_repo(REPO)


def test_retry_after_rules() -> None:
    assert retry_after({"Retry-After": "30", "x-ratelimit-reset": "2000"}, 1000) == 30
    exhausted = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1090"}
    assert retry_after(exhausted, 1000) == 90
    assert retry_after({"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1090"}, 1000) == 60
    assert retry_after(None, 1000) == 60


# --- pacing -------------------------------------------------------------------------------


class FakeClock:
    """A clock that only moves when told to (or when the pacer sleeps)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def pacer(
    clock: FakeClock, *, min_interval: float = 1.0, hourly_budget: int = 400, max_sleep: float = 120
) -> WritePacer:
    return WritePacer(
        min_interval, hourly_budget, clock=clock, sleep=clock.sleep, max_sleep=max_sleep
    )


def test_pacer_spaces_writes_from_the_end_of_the_previous_one() -> None:
    clock = FakeClock()
    paced = pacer(clock, min_interval=1.0)
    paced.before_write()
    assert clock.sleeps == []
    clock.now += 0.25  # the request took 250 ms
    paced.after_write()
    paced.before_write()
    assert clock.sleeps == [1.0]
    paced.after_write()
    clock.now += 5
    paced.before_write()
    assert clock.sleeps == [1.0]


def test_pacer_hourly_budget_slides() -> None:
    clock = FakeClock()
    paced = pacer(clock, min_interval=0, hourly_budget=3)
    for _ in range(3):
        paced.before_write()
        clock.now += 100
    with pytest.raises(RateLimited) as used_up:
        paced.before_write()
    assert used_up.value.retry_after == pytest.approx(3600 - 300)
    clock.now += 3600 - 300
    paced.before_write()
    assert paced.used_this_hour() == 3


def test_pacer_honours_retry_after() -> None:
    clock = FakeClock()
    paced = pacer(clock, min_interval=1.0, max_sleep=10)
    paced.note_retry_after(5)
    paced.before_write()
    assert clock.sleeps == [5]
    paced.note_retry_after(30)
    with pytest.raises(RateLimited) as paused:
        paced.before_write()
    assert paused.value.retry_after == pytest.approx(30)
    with pytest.raises(ValueError):
        WritePacer(min_interval=-1)


# --- manifest -----------------------------------------------------------------------------


def test_manifest_code_converts_once_into_working_credentials(fake: FakeGitHub, base: str) -> None:
    code = fake.new_manifest_code()
    creds = convert_manifest_code(code, base_url=base, timeout=5)
    assert isinstance(creds, AppCredentials)
    assert (creds.id, creds.slug, creds.client_id) == (fake.app_id, fake.slug, f"Iv23{fake.app_id}")
    assert creds.webhook_secret == fake.webhook_secret and creds.client_secret
    assert creds.html_url.startswith(base)
    shown = repr(creds)
    for secret in (creds.pem, creds.webhook_secret, creds.client_secret):
        assert secret not in shown
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.slug = "other"  # type: ignore[misc]
    with installation_client(creds.id, creds.pem, INSTALLATION, base_url=base) as gh:
        assert gh.get_repo(REPO).full_name == REPO
    with pytest.raises(TrackerRejected, match="expired or was already used"):
        convert_manifest_code(code, base_url=base, timeout=5)


def test_manifest_code_expires_and_network_failure(fake: FakeGitHub, base: str) -> None:
    code = fake.new_manifest_code()
    fake.advance_clock(3601)
    with pytest.raises(TrackerRejected, match="expired"):
        convert_manifest_code(code, base_url=base, timeout=5)
    with pytest.raises(TrackerUnavailable):
        convert_manifest_code("abc", base_url=f"http://127.0.0.1:{free_port()}", timeout=5)
