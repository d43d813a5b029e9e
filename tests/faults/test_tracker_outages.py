"""The tracker fails for a while (5xx, timeouts, secondary rate limit): every change lands once."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.trackers import TrackerRegistry
from integrations import TrackerUnavailable
from integrations.github.tracker import key_from_body
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from tests.faults.world import (
    Clock,
    cli_env,
    count_writes,
    drain_until_settled,
    fast_tracker_for,
    github_settings,
    issue_numbers,
    open_release,
    resync,
    seed_repo,
)
from tests.support import wait_for
from workflows import mirror
from workflows.models import ControlTask, Release
from workflows.opening import StartRequest, start_in_workspace
from workflows.status import ChangeSource, ControlStatus

REPO = "octo/outage"
CONTROLBOT = Path(sys.executable).with_name("controlbot")


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    """One fake GitHub for the module."""
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    """The fake served on loopback."""
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


@pytest.fixture
def opened(engine: Engine, fake: FakeGitHub, base: str) -> Release:
    """A 72-control release opened in a fresh repository, its first views drained."""
    fake.reset()
    seed_repo(fake, REPO)
    release = open_release(engine, github_settings(fake, base), REPO)
    drain_until_settled(engine, fast_tracker_for(fake, base), Clock())
    return release


def _change(engine: Engine, control_ids: list[str], status: ControlStatus, clock: Clock) -> None:
    """Record status changes as the CLI would (audit row + queued views)."""
    with Session(engine, expire_on_commit=False) as session:
        for control_id in control_ids:
            task = session.exec(select(ControlTask).where(ControlTask.control_id == control_id))
            mirror.change_status(
                session=session,
                task=task.one(),
                status=status,
                actor="ana",
                source=ChangeSource.CLI,
                now=clock(),
                note=f"checked {control_id}",
            )


def _outage(fake: FakeGitHub) -> None:
    """GitHub misbehaves: 5xx on writes and reads, slow answers, and a secondary limit."""
    issue = r"/issues/\d+$"
    fake.fail_next(5, status=502, path_pattern=issue, method="PATCH")
    fake.fail_next(3, status=503, path_pattern=issue, method="GET")
    fake.fail_next(2, status=500, path_pattern=r"/issues/\d+/comments$", method="POST")
    fake.timeout_next(2, seconds=1.5, path_pattern=issue)
    fake.enable_secondary_limit(min_interval=0.0, per_minute=6, retry_after=1)


def test_every_change_arrives_once_through_an_outage(
    engine: Engine, fake: FakeGitHub, base: str, opened: Release
) -> None:
    numbers = issue_numbers(engine)
    assert len(numbers) == 72
    controls = sorted(numbers)[:24]
    clock = Clock()
    tracker_for = fast_tracker_for(fake, base)
    _change(engine, controls, ControlStatus.DONE, clock)
    _outage(fake)
    for _ in range(3):  # the outage lasts a few drain rounds
        from workflows.jobs import drain

        drain(engine=engine, tracker_for=tracker_for, clock=clock, limit=200)
        clock.advance(30)
        fake.advance_clock(61)
    fake.disable_secondary_limit()
    drain_until_settled(engine, tracker_for, clock)
    assert fake.secondary_limit_hits > 0

    issues = fake.repo(REPO).issues
    for control_id, number in numbers.items():
        patches, comments = count_writes(fake, REPO, number)
        if control_id in controls:
            assert issues[number].state == "closed", control_id
            assert (patches, comments) == (1, 1), control_id
        else:
            assert issues[number].state == "open" and (patches, comments) == (0, 0)

    reopened = controls[:12]  # then half of them are reopened, through more trouble
    _change(engine, reopened, ControlStatus.IN_PROGRESS, clock)
    fake.fail_next(4, status=502, path_pattern=r"/issues/\d+$", method="PATCH")
    fake.timeout_next(1, seconds=1.5, path_pattern=r"/issues/\d+$")
    drain_until_settled(engine, tracker_for, clock)
    for control_id in controls:
        number = numbers[control_id]
        patches, comments = count_writes(fake, REPO, number)
        expected = 2 if control_id in reopened else 1
        state = "open" if control_id in reopened else "closed"
        assert issues[number].state == state, control_id
        assert (patches, comments) == (expected, expected), control_id


def test_the_note_survives_a_failed_comment(
    engine: Engine, fake: FakeGitHub, base: str, opened: Release
) -> None:
    numbers = issue_numbers(engine)
    clock = Clock()
    _change(engine, ["GV-1.1"], ControlStatus.DONE, clock)
    fake.fail_next(1, status=502, path_pattern=r"/issues/\d+/comments$", method="POST")
    drain_until_settled(engine, fast_tracker_for(fake, base), clock)
    assert count_writes(fake, REPO, numbers["GV-1.1"]) == (1, 1)
    assert _notes(fake, numbers["GV-1.1"]) == ["ana marked this done via cli: checked GV-1.1"]


def test_the_note_survives_a_close_whose_answer_never_came(
    engine: Engine, fake: FakeGitHub, base: str, opened: Release
) -> None:
    """GitHub closes the issue but the answer times out: the retry finds it closed, still notes."""
    numbers = issue_numbers(engine)
    clock = Clock()
    _change(engine, ["GV-1.1"], ControlStatus.DONE, clock)
    fake.timeout_next(1, seconds=1.5, path_pattern=r"/issues/\d+$", method="PATCH")
    drain_until_settled(engine, fast_tracker_for(fake, base), clock)
    assert fake.repo(REPO).issues[numbers["GV-1.1"]].state == "closed"
    assert count_writes(fake, REPO, numbers["GV-1.1"]) == (1, 1)


def test_the_note_survives_a_kill_between_the_close_and_the_comment(
    engine: Engine, fake: FakeGitHub, base: str, opened: Release
) -> None:
    """kill -9 `controlbot outbox drain` once GitHub has closed the issue, before it answers."""
    number = issue_numbers(engine)["GV-1.1"]
    clock = Clock()
    _change(engine, ["GV-1.1"], ControlStatus.DONE, clock)
    issue = re.escape(f"/repos/{REPO}/issues/{number}") + "$"
    fake.timeout_next(1, seconds=60, path_pattern=issue, method="PATCH")
    env = cli_env(fake, base, engine.url.render_as_string(hide_password=False))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen([str(CONTROLBOT), "outbox", "drain"], env=env, **quiet)
    try:
        closed = partial(fake.count_requests, method="PATCH", path_pattern=issue, status=200)
        assert wait_for(lambda: closed() > 0, timeout=60) and proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert count_writes(fake, REPO, number) == (1, 0)
    drain_until_settled(engine, fast_tracker_for(fake, base), clock)  # after the dead one's lease
    assert count_writes(fake, REPO, number) == (1, 1)
    assert _notes(fake, number) == ["ana marked this done via cli: checked GV-1.1"]


def test_a_change_github_already_shows_gets_no_note(
    engine: Engine, fake: FakeGitHub, base: str, opened: Release
) -> None:
    """Someone closed the issue on GitHub: controlbot follows and has nothing to add."""
    number = issue_numbers(engine)["GV-1.1"]
    fake.repo(REPO).issues[number].state = "closed"
    fake.repo(REPO).issues[number].state_reason = "completed"
    clock = Clock()
    _change(engine, ["GV-1.1"], ControlStatus.DONE, clock)
    drain_until_settled(engine, fast_tracker_for(fake, base), clock)
    assert count_writes(fake, REPO, number) == (0, 0)


def _notes(fake: FakeGitHub, number: int) -> list[str]:
    """The comments on one issue."""
    return [c.body for c in fake.repo(REPO).comments.values() if c.issue_number == number]


def test_a_500_that_created_the_issue_makes_no_duplicate(
    engine: Engine, fake: FakeGitHub, base: str
) -> None:
    fake.reset()
    seed_repo(fake, REPO)
    settings = github_settings(fake, base)
    registry = TrackerRegistry(settings)
    from bot.cli.opening import workspace_for_repo

    with Session(engine, expire_on_commit=False) as session:
        workspace = workspace_for_repo(session, registry, REPO)
        tracker = registry.for_workspace(workspace)
        request = StartRequest(name="Atlas", version="2.0", actor="ana")
        release = start_in_workspace(
            session=session,
            workspace=workspace,
            tracker=tracker,
            request=request,
            now=datetime.now(UTC),
        )
        assert release is not None
        fake.ghost_create_next(1)  # the parent: stored by GitHub, answered 500
        with pytest.raises(TrackerUnavailable):
            resync(session, release, tracker)
        for _ in range(5):  # later ones, after some were made
            fake.ghost_create_next(1)
            try:
                resync(session, release, tracker)
            except TrackerUnavailable:
                continue
        resync(session, release, tracker)
    issues = fake.issues(REPO)
    keys = [key_from_body(i.body or "") for i in issues]
    assert len(issues) == 73 and len(set(keys)) == 73 and None not in keys
    creates = fake.count_requests(
        method="POST", path_pattern=re.escape(f"/repos/{REPO}/issues") + "$"
    )
    assert creates >= 73
