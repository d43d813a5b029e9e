"""GitHub requests to open a 72-control release, against the lower bound, under the secondary limit.

Runs the real sync (workflows.tracking.sync_release) through the real GitHub adapter and
PyGithub against the fake GitHub over loopback HTTP, with the fake enforcing a secondary limit
(minimum gap between content-creating writes) and the adapter's pacer set to the same gap.
Then syncs the unchanged release again, which must write nothing.

    .venv/bin/python -m bench.github_requests [--interval 0.05]

The real limit is one write per second; a smaller interval keeps the run short and does not
change the counts. Prints one table row per scenario.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime

from sqlmodel import Session

from bot import migrate
from bot.db import make_engine
from control_catalog import load_bundled
from integrations.github.client import installation_client
from integrations.github.pacing import WritePacer
from integrations.github.tracker import GitHubTracker
from tests.fakes.github import FakeGitHub, create_fake_github_app
from tests.fakes.serving import serve_in_thread
from workflows import views
from workflows.models import WorkspaceKind
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.tracking import sync_release

REPO = "octo/atlas"
INSTALLATION = 1
KINDS = {
    "labels": r"/labels$",
    "milestone": r"/milestones$",
    "issues": r"/issues$",
    "links": r"/sub_issues$",
    "edits": r"/issues/\d+$",
}


def lower_bound(granularity: Granularity, controls: int, high: int) -> int:
    """Fewest content-creating writes: labels, milestone, parent, then per item a create + link."""
    items = {Granularity.CHECKLIST: 0, Granularity.HIGH: high, Granularity.CONTROL: controls}
    return len(views.all_labels()) + 1 + 1 + 2 * items[granularity]


def breakdown(fake: FakeGitHub) -> str:
    """Content-creating requests by endpoint kind."""
    parts = [
        f"{name} {fake.count_requests(content_creating=True, path_pattern=pattern)}"
        for name, pattern in KINDS.items()
    ]
    return ", ".join(parts)


def run(granularity: Granularity, interval: float, base: str, fake: FakeGitHub, db: str) -> None:
    """Open the release once, then again unchanged; print the counts."""
    fake.reset()
    fake.add_installation(INSTALLATION, "octo")
    fake.add_repo(REPO, installation_id=INSTALLATION)
    fake.enable_secondary_limit(min_interval=interval, per_minute=10_000)
    engine = make_engine(db)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    catalog = load_bundled("gpai-profile@1.2")
    config = RepoConfig(granularity=granularity)
    with Session(engine, expire_on_commit=False) as session:
        workspace = ensure_workspace(
            session=session, kind=WorkspaceKind.GITHUB, name=f"{REPO}-{granularity}", now=now
        )
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=catalog,
            name="Atlas",
            version=f"2.0-{granularity.value}",
            actor="bench",
            now=now,
            target_date=date(2026, 12, 15),
        )
        gh = installation_client(fake.app_id, fake.private_key_pem, INSTALLATION, base_url=base)
        pacer = WritePacer(
            min_interval=interval * 1.05,
            hourly_budget=10_000,
            clock=time.monotonic,
            sleep=time.sleep,
        )
        tracker = GitHubTracker(gh, REPO, pacer=pacer, app_login=f"{fake.slug}[bot]")
        started = time.perf_counter()
        sync_release(session=session, release=release, tracker=tracker, config=config, now=now)
        elapsed = time.perf_counter() - started
        first_writes = fake.count_requests(content_creating=True)
        first_reads = fake.count_requests(method="GET")
        kinds = breakdown(fake)
        sync_release(session=session, release=release, tracker=tracker, config=config, now=now)
        again = fake.count_requests(content_creating=True) - first_writes
    engine.dispose()
    high = sum(1 for c in catalog.controls if c.priority.value == "high")
    bound = lower_bound(granularity, len(catalog.controls), high)
    print(
        f"| {granularity.value:<9} | {first_writes:>6} | {bound:>11} | {first_reads:>5} | "
        f"{fake.secondary_limit_hits:>15} | {again:>16} | {elapsed:>7.1f} | {kinds} |"
    )


def main() -> None:
    """Run every granularity and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--interval", type=float, default=0.05, help="enforced seconds between writes"
    )
    args = parser.parse_args()
    fake = FakeGitHub()
    print(f"secondary limit enforced: one content-creating request per {args.interval} s")
    print(
        "| granularity | writes | lower bound | reads | secondary-limit errors "
        "| writes on re-sync | seconds | writes by kind |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(create_fake_github_app(fake)) as base,
    ):
        for index, granularity in enumerate(Granularity):
            run(granularity, args.interval, base, fake, f"sqlite:///{tmp}/bench{index}.db")


if __name__ == "__main__":
    main()
