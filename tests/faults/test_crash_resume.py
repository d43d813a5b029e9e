"""kill -9 `controlbot release create --repo` at random points; re-running it resumes.

Re-running the same command after a crash resumes the stored release's sync ("resumed release
..."). Only a release whose items all exist is refused as "already exists"; the trials accept
that and check the result directly.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot import migrate
from bot.db import make_engine
from bot.settings import Settings
from bot.trackers import TrackerRegistry
from integrations.github.tracker import key_from_body
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from tests.faults.world import cli_env, github_settings, resync, seed_repo
from workflows.models import Release, TrackerItem, Workspace

LONG = os.environ.get("CONTROLBOT_FAULTS_LONG") == "1"
TRIALS = 20 if LONG else 5
CONTROLBOT = Path(sys.executable).with_name("controlbot")


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    """One fake GitHub for the module; each trial uses its own repository."""
    return FakeGitHub()


@pytest.fixture(scope="module")
def base(fake: FakeGitHub) -> Iterator[str]:
    """The fake served on loopback, reachable from the CLI subprocess."""
    with serve_in_thread(create_fake_github_app(fake)) as url:
        yield url


def _database(tmp_path: Path) -> str:
    """A migrated SQLite database, as after `controlbot db upgrade`."""
    url = f"sqlite:///{tmp_path}/controlbot.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _command(repo: str) -> list[str]:
    return [
        str(CONTROLBOT),
        "release",
        "create",
        "--repo",
        repo,
        "--name",
        "Atlas",
        "--version",
        "1.0",
    ]


def _run_and_kill(
    command: list[str], env: dict[str, str], cwd: Path, fake: FakeGitHub, repo: str, at: int
) -> bool:
    """Start the command and SIGKILL it once `at` issues exist; True if it was killed."""
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and len(fake.repo(repo).issues) < at:
            assert time.monotonic() < deadline, "the CLI made no progress"
            time.sleep(0.002)
        if proc.poll() is not None:
            return False
        os.kill(proc.pid, signal.SIGKILL)
        return True
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _rerun(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _resume(settings: Settings, db_url: str) -> None:
    """Resume the stored release's sync, as `bot/cli/opening.py` runs it."""
    engine = make_engine(db_url)
    try:
        registry = TrackerRegistry(settings)
        with Session(engine, expire_on_commit=False) as session:
            release = session.exec(select(Release)).one()
            workspace = session.get(Workspace, release.workspace_id)
            assert workspace is not None
            resync(session, release, registry.for_workspace(workspace))
    finally:
        engine.dispose()


def _assert_one_issue_per_control(fake: FakeGitHub, repo: str, db_url: str) -> None:
    issues = fake.issues(repo)
    keys = [key_from_body(i.body or "") for i in issues]
    assert None not in keys, "an issue without the key marker"
    assert len(keys) == len(set(keys)) == 73, f"{len(keys)} issues, {len(set(keys))} keys"
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            items = session.exec(select(TrackerItem)).all()
            assert len(items) == 73 and all(i.external_id for i in items)
            assert len({i.external_id for i in items}) == 73
    finally:
        engine.dispose()


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_while_opening_then_resume(
    trial: int, fake: FakeGitHub, base: str, tmp_path: Path
) -> None:
    rng = random.Random(7070 + trial)
    repo = f"octo/crash-{trial}-{rng.randrange(10**6)}"
    seed_repo(fake, repo)
    db_url = _database(tmp_path)
    env, command = cli_env(fake, base, db_url), _command(repo)
    for _ in range(rng.randint(1, 2)):  # one or two crashes before the resume
        _run_and_kill(command, env, tmp_path, fake, repo, rng.randint(0, 72))
    again = _rerun(command, env, tmp_path)
    if again.returncode != 0:
        assert "already exists" in again.stderr, again.stderr
        _resume(github_settings(fake, base), db_url)
    _assert_one_issue_per_control(fake, repo, db_url)


def test_rerunning_the_same_command_resumes(fake: FakeGitHub, base: str, tmp_path: Path) -> None:
    repo = "octo/crash-rerun"
    seed_repo(fake, repo)
    db_url = _database(tmp_path)
    env, command = cli_env(fake, base, db_url), _command(repo)
    assert _run_and_kill(command, env, tmp_path, fake, repo, 20)
    again = _rerun(command, env, tmp_path)
    assert again.returncode == 0, again.stderr
    _assert_one_issue_per_control(fake, repo, db_url)
