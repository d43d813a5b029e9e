"""Jira requests to open a 72-control release, against the lower bound, and the time it takes.

Runs what `controlbot jira open` runs (workflows.opening.start_in_workspace, then
workflows.tracking.sync_release) through the real Jira adapter and the `jira` client against
the fake Jira over loopback HTTP, on a fresh SQLite database. Then syncs the finished release
again, which must write nothing.

    .venv/bin/python -m bench.jira_open [--mode cloud|dc]

The lower bound is 1 version + 1 epic + 2 bulk creates (50 + 22), plus the look-ups the client
cannot avoid: `serverInfo` (the client's constructor), the project (ids of the issue type and
version) and, on Data Center, `field` (the Epic Link field's id). The epic's remote link back to
the release page is one more write, by design.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime

from pydantic import SecretStr
from sqlmodel import Session

from bot import migrate
from bot.db import make_engine
from bot.settings import Settings
from bot.trackers import TrackerRegistry
from integrations.jira import JiraProjectConfig
from integrations.jira.config import Deployment
from tests.fakes.jira import FakeJira, create_fake_jira_app
from tests.fakes.serving import serve_in_thread
from workflows.jira_setup import RELEASE_CONFIG, save_project, workspace_name
from workflows.models import Release
from workflows.opening import StartRequest, start_in_workspace
from workflows.tracking import sync_release

KINDS = {
    "serverInfo": ("GET", r"/serverInfo$"),
    "project": ("GET", r"/project/[^/]+$"),
    "field": ("GET", r"/field$"),
    "version": ("POST", r"/version$"),
    "epic": ("POST", r"/issue$"),
    "bulk": ("POST", r"/issue/bulk$"),
    "remote link": ("POST", r"/remotelink$"),
    "search": ("POST", r"/search(/jql)?$"),
}
WRITES = ("version", "epic", "bulk", "remote link")


def kind_of(method: str, path: str) -> str:
    """The bench's name for one request."""
    for name, (verb, pattern) in KINDS.items():
        if method == verb and re.search(pattern, path):
            return name
    return f"{method} {path}"


def settings_for(fake: FakeJira, base: str) -> Settings:
    """Explicit settings for the fake site (no environment)."""
    if fake.is_cloud:
        token = SecretStr(fake.api_token)
        return Settings(
            jira_url=base, jira_email=fake.email, jira_api_token=token, jira_max_retries=0
        )
    return Settings(jira_url=base, jira_pat=SecretStr(fake.pat), jira_max_retries=0)


def open_release(fake: FakeJira, base: str, tmp: str) -> tuple[float, int, Counter[str]]:
    """Open the release as the CLI does; returns the wall time, issues made and request kinds."""
    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    migrate.upgrade(engine)
    deployment: Deployment = "cloud" if fake.is_cloud else "datacenter"
    config = JiraProjectConfig("CTRL", deployment=deployment)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        name = workspace_name(base, "CTRL")
        workspace = save_project(session=session, name=name, config=config, ids=[], now=now)
        fake.reset_controls()
        started = time.perf_counter()
        tracker = TrackerRegistry(settings_for(fake, base)).for_workspace(workspace)
        request = StartRequest("Atlas", "2.0", "bench", target_date=date(2026, 12, 15))
        release = start_in_workspace(
            session=session, workspace=workspace, tracker=tracker, request=request, now=now
        )
        assert isinstance(release, Release)
        release.config = RELEASE_CONFIG.model_dump(mode="json")
        report = sync_release(
            session=session, release=release, tracker=tracker, config=RELEASE_CONFIG, now=now
        )
        elapsed = time.perf_counter() - started
        first = Counter(kind_of(r.method, r.path) for r in fake.requests)
        fake.reset_controls()
        sync_release(
            session=session, release=release, tracker=tracker, config=RELEASE_CONFIG, now=now
        )
        again = Counter(kind_of(r.method, r.path) for r in fake.requests)
    engine.dispose()
    print_rows(fake, elapsed, report.created, first, again)
    return elapsed, report.created, first


def print_rows(
    fake: FakeJira, elapsed: float, created: int, first: Counter[str], again: Counter[str]
) -> None:
    """One table row per scenario, then the request kinds."""
    lookups = 3 if not fake.is_cloud else 2
    bound = 4 + lookups
    writes = sum(first[k] for k in WRITES)
    print(f"mode={fake.mode} controls=72 items created={created} (72 issues + 1 epic)")
    print(f"{'scenario':<14}{'requests':>9}{'writes':>8}{'lower bound':>13}{'wall time':>11}")
    print(f"{'first open':<14}{sum(first.values()):>9}{writes:>8}{bound:>13}{elapsed:>10.2f}s")
    rewrites = sum(again[k] for k in WRITES)
    print(f"{'sync again':<14}{sum(again.values()):>9}{rewrites:>8}{0:>13}{'':>11}")
    print("first open by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(first.items())))
    print("sync again by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(again.items())))


def main() -> None:
    """Parse options and run one mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("cloud", "dc"), default="cloud")
    args = parser.parse_args()
    fake = FakeJira(args.mode)
    with serve_in_thread(create_fake_jira_app(fake)) as base, tempfile.TemporaryDirectory() as tmp:
        open_release(fake, base, tmp)


if __name__ == "__main__":
    main()
