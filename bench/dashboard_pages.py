"""Dashboard page times on PostgreSQL: the portfolio of 1,000 releases and a 72-control release.

Loads, with set-based SQL, 1,000 releases of 72 controls in 100 workspaces, each with a parent
tracker item and one item per control; about half the tasks have moved (todo -> in progress ->
done, with the audit rows the burndown reads). Then signs in as an all-workspace reader and
times, through the real app in process (TestClient: routing, sign-in check, queries, Jinja2),
the portfolio, the portfolio of a reader limited to one workspace, one release page, the audit
log and one control's history across every release.

    .venv/bin/python -m bench.dashboard_pages [--releases 1000] [--requests 50] [--gc-freeze]

Targets: release page p95 < 100 ms; portfolio of 1,000 releases < 300 ms (p95 here).
PostgreSQL at CONTROLBOT_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:
5432/test), in a fresh schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.reminder_sweep import fresh_schema
from bot import migrate
from bot.access import SESSION_COOKIE
from bot.db import make_engine
from bot.main import create_app
from bot.settings import Settings
from workflows.access import Principal, Scope, start_session

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime.now(UTC)
CONTROLS = 72
WORKSPACES = 100
COMMAND = ".venv/bin/python -m bench.dashboard_pages"

LOAD = [
    """
    INSERT INTO workspace (id, kind, name, external_id, state, config, created_at)
    SELECT w, 'github', 'org-' || w || '/models', (100000 + w)::text, 'active', '{}', :now
    FROM generate_series(1, :workspaces) AS w
    """,
    # Created 10 to 120 days ago, targets from 60 days ago to 120 days ahead.
    """
    INSERT INTO release (id, workspace_id, slug, name, version, target_date, catalog_ref,
                         selection, state, created_by, config, problems, pr_shas,
                         created_at, updated_at)
    SELECT r, 1 + r % :workspaces, 'model-' || r || '-1.0', 'Model ' || r, '1.0',
           (:today - 60 + (r * 180 / :releases))::date, 'gpai-profile@1.2', '{}', 'open',
           'manager-' || (r % 50), '{}', '[]', '[]',
           :now - make_interval(days => 10 + r % 110), :now
    FROM generate_series(1, :releases) AS r
    """,
    # 45% done, 10% in progress, 5% blocked, 5% not applicable, the rest todo.
    """
    INSERT INTO controltask (release_id, key, control_id, position, title, guidance, function,
                             category, priority, kind, status, owner, due_date, evidence,
                             justification, created_at, updated_at)
    SELECT r.id, r.slug || '/C-' || k, 'C-' || k, k, 'Control ' || k, '',
           (ARRAY['govern', 'map', 'measure', 'manage'])[1 + k % 4], 'CAT-' || (k % 9),
           CASE WHEN k % 3 = 0 THEN 'high' ELSE 'standard' END, 'per_release',
           CASE WHEN h.v < 45 THEN 'done' WHEN h.v < 55 THEN 'in_progress'
                WHEN h.v < 60 THEN 'blocked' WHEN h.v < 65 THEN 'not_applicable' ELSE 'todo' END,
           'user-' || ((r.id * 7 + k) % 40), (r.target_date - 7 * (k % 5))::date,
           ('["https://evidence.example/' || r.id || '/' || k || '"]')::json,
           CASE WHEN h.v >= 60 AND h.v < 65 THEN 'out of scope' END,
           r.created_at, r.created_at
    FROM release AS r
    CROSS JOIN generate_series(1, :controls) AS k
    CROSS JOIN LATERAL (SELECT abs(hashtext(r.id || '/' || k)) % 100 AS v) AS h
    """,
    # Every task that left todo went through in progress first.
    """
    INSERT INTO statuschange (task_id, from_status, to_status, actor, source, note, at)
    SELECT t.id, 'todo', 'in_progress', 'user-' || (t.id % 40), 'webhook', NULL,
           t.created_at + make_interval(hours => 1 + t.id % 200)
    FROM controltask AS t WHERE t.status <> 'todo'
    """,
    """
    INSERT INTO statuschange (task_id, from_status, to_status, actor, source, note, at)
    SELECT t.id, 'in_progress', t.status, 'user-' || (t.id % 40), 'cli', t.justification,
           t.created_at + make_interval(hours => 201 + t.id % 150)
    FROM controltask AS t WHERE t.status IN ('done', 'blocked', 'not_applicable')
    """,
    """
    INSERT INTO trackeritem (release_id, task_id, tracker, kind, key, external_id, url,
                             attempts, created_at, updated_at)
    SELECT r.id, NULL, 'github', 'parent', r.slug, 'org/models#' || r.id,
           'https://github.example/org-' || r.workspace_id || '/models/issues/' || r.id, 1,
           :now, :now
    FROM release AS r
    """,
    """
    INSERT INTO trackeritem (release_id, task_id, tracker, kind, key, external_id, url,
                             attempts, created_at, updated_at)
    SELECT t.release_id, t.id, 'github', 'control', t.key, 'org/models#c' || t.id,
           'https://github.example/org/models/issues/c' || t.id, 1, :now, :now
    FROM controltask AS t
    """,
    "SELECT setval(pg_get_serial_sequence('workspace', 'id'), :workspaces)",
    "SELECT setval(pg_get_serial_sequence('release', 'id'), :releases)",
]


def load(engine: Engine, releases: int) -> float:
    """Fill the tables; returns the seconds it took (ANALYZE included)."""
    start = time.perf_counter()
    params = {
        "now": NOW,
        "today": NOW.date(),
        "workspaces": WORKSPACES,
        "releases": releases,
        "controls": CONTROLS,
    }
    with engine.begin() as connection:
        for statement in LOAD:
            connection.execute(text(statement), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - start


def cookie(engine: Engine, workspace_ids: frozenset[int] | None) -> str:
    """A signed-in reader's session cookie (all workspaces, or the given ones)."""
    principal = Principal(name="bench", scope=Scope.READ, workspace_ids=workspace_ids)
    with Session(engine) as session:
        return start_session(session=session, principal=principal, now=datetime.now(UTC))


def timed(client: TestClient, path: str, requests: int, needle: str) -> list[float]:
    """Milliseconds of each GET (after two warm-ups); every answer must be a 200 with `needle`."""
    for _ in range(2):
        client.get(path)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200 and needle in answer.text, answer.status_code
    return times


def summary(name: str, times: list[float], size: int) -> str:
    """One line: p50, p95 and max in milliseconds, and the page's size."""
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name}: p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, "
        f"max {ordered[-1]:.0f} ms ({len(times)} requests, {size / 1024:.0f} KiB of HTML)"
    )


def measure(engine: Engine, args: argparse.Namespace) -> None:
    """Time the three pages and print the figures."""
    release = args.releases // 2
    app = create_app(Settings(), engine=engine)
    with TestClient(app) as everyone, TestClient(app) as one_workspace:
        everyone.cookies.set(SESSION_COOKIE, cookie(engine, None))
        one_workspace.cookies.set(SESSION_COOKIE, cookie(engine, frozenset({1})))
        if args.gc_freeze:  # what a server could do once started: no GC walks over startup objects
            client_warm = everyone.get("/")
            assert client_warm.status_code == 200
            gc.collect()
            gc.freeze()
        pages = [
            ("portfolio, all releases", everyone, "/", "Model 1 1.0"),
            ("portfolio, one workspace", one_workspace, "/", "Model 100 1.0"),
            (f"release page ({CONTROLS} controls)", everyone, f"/releases/{release}", "C-72"),
            ("audit log, first page", everyone, "/audit", "Page 1"),
            ("audit log, one actor, page 3", everyone, "/audit?actor=user-7&page=3", "Page 3"),
            (f"control C-1 across {args.releases:,} releases", everyone, "/controls/C-1", "C-1"),
        ]
        for name, client, path, needle in pages:
            times = timed(client, path, args.requests, needle)
            print(summary(name, times, len(client.get(path).content)))


def main() -> None:
    """Load, measure, print; the schema is dropped afterwards."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--releases", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after start-up, before timing"
    )
    args = parser.parse_args()
    base = os.environ.get("CONTROLBOT_TEST_DATABASE_URL") or DEFAULT_URL
    with fresh_schema(base) as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            seconds = load(engine, args.releases)
            with engine.connect() as connection:
                tasks = connection.execute(text("SELECT count(*) FROM controltask")).scalar_one()
                changes = connection.execute(text("SELECT count(*) FROM statuschange")).scalar_one()
            freeze = " --gc-freeze" if args.gc_freeze else ""
            print(
                f"command: {COMMAND} --releases {args.releases} --requests {args.requests}{freeze}"
            )
            print(
                f"data: {args.releases:,} releases, {tasks:,} tasks, {changes:,} status changes, "
                f"{WORKSPACES} workspaces; loaded in {seconds:.1f} s"
            )
            measure(engine, args)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
