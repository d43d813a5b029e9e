"""The reminder sweep among 1,000,000 control tasks on PostgreSQL: time, rows examined, memory.

Loads, with set-based SQL (INSERT ... SELECT generate_series), 14,000 releases of 72 controls in
300 GitHub workspaces, with target dates spread over a year; releases whose target passed more
than three weeks ago are closed with their tasks done, most earlier tasks of open releases are
done, and the rest are not yet due. Then times the sweep's candidate selection (one query on
`ix_controltask_status_due`) and the whole `send_reminders(dry_run=True)`, shows the
candidate query's plan (EXPLAIN ANALYZE: index or sequential scan, rows examined) and the
Python memory it takes (tracemalloc peak, in a separate run, and the maxrss growth).

    .venv/bin/python -m bench.reminder_sweep [--releases 14000] [--runs 5]

PostgreSQL at CONTROLBOT_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
test), in a fresh schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from bot import migrate
from bot.db import make_engine
from workflows.remind import candidate_query, send_reminders, window_bound

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
CONTROLS = 72
WORKSPACES = 300
COMMAND = ".venv/bin/python -m bench.reminder_sweep"

# Every 7th release waits 5 business days, every 11th is in Berlin; the rest use the defaults.
LOAD = [
    """
    INSERT INTO workspace (id, kind, name, external_id, state, config, created_at)
    SELECT w, 'github', 'org-' || w || '/models', (100000 + w)::text, 'active', '{}', :now
    FROM generate_series(1, :workspaces) AS w
    """,
    """
    INSERT INTO release (id, workspace_id, slug, name, version, target_date, catalog_ref,
                         selection, state, created_by, config, problems, pr_shas,
                         created_at, updated_at)
    SELECT r, 1 + r % :workspaces, 'model-' || r || '-1.0', 'Model ' || r, '1.0',
           t.target, 'gpai-profile@1.2', '{}',
           CASE WHEN t.target < :today - 21 THEN 'closed' ELSE 'open' END,
           'manager-' || (r % 50),
           CASE WHEN r % 7 = 0 THEN '{"reminders": {"lead": 5}}'
                WHEN r % 11 = 0 THEN '{"reminders": {"timezone": "Europe/Berlin"}}'
                ELSE '{}' END::json,
           '[]', '[]', :now, :now
    FROM generate_series(1, :releases) AS r,
         LATERAL (SELECT (:today - 300 + (r * 365 / :releases))::date AS target) AS t
    """,
    # Due 0 to 4 weeks before the target. Closed releases: done or not applicable. Open
    # releases: 95% of the overdue tasks and 40% of the others done; the rest todo or in progress.
    """
    INSERT INTO controltask (release_id, key, control_id, position, title, guidance, function,
                             category, priority, kind, status, owner, due_date, evidence,
                             created_at, updated_at)
    SELECT r.id, r.slug || '/C-' || k, 'C-' || k, k, 'Control ' || k, '',
           (ARRAY['govern', 'map', 'measure', 'manage'])[1 + k % 4], 'CAT-' || (k % 9),
           CASE WHEN k % 3 = 0 THEN 'high' ELSE 'standard' END,
           (ARRAY['per_release', 'per_release', 'organizational', 'recurring'])[1 + k % 4],
           CASE
             WHEN r.state = 'closed' THEN
               CASE WHEN h.v < 90 THEN 'done' ELSE 'not_applicable' END
             WHEN d.due < :today THEN
               CASE WHEN h.v < 95 THEN 'done' WHEN h.v < 98 THEN 'in_progress' ELSE 'todo' END
             ELSE
               CASE WHEN h.v < 40 THEN 'done' WHEN h.v < 55 THEN 'in_progress' ELSE 'todo' END
           END,
           'user-' || ((r.id * 7 + k) % 400), d.due, '[]', :now, :now
    FROM release AS r
    CROSS JOIN generate_series(1, :controls) AS k
    CROSS JOIN LATERAL (SELECT (r.target_date - 7 * (k % 5))::date AS due) AS d
    CROSS JOIN LATERAL (SELECT abs(hashtext(r.id || '/' || k)) % 100 AS v) AS h
    """,
    """
    INSERT INTO trackeritem (release_id, tracker, kind, key, external_id, attempts,
                             created_at, updated_at)
    SELECT r.id, 'github', 'parent', r.slug, 'org-' || r.workspace_id || '/models#' || r.id, 1,
           :now, :now
    FROM release AS r
    """,
    "SELECT setval(pg_get_serial_sequence('workspace', 'id'), :workspaces)",
    "SELECT setval(pg_get_serial_sequence('release', 'id'), :releases)",
]


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    """A URL on a new schema, dropped on the way out."""
    schema = f"cb_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


def plan(engine: Engine) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the candidate query, and what it did on controltask."""
    with Session(engine) as session:
        bound = window_bound(session, NOW)
    assert bound is not None
    compiled = candidate_query(bound).compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    with engine.connect() as connection:
        raw = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}"))
        document = raw.scalar_one()
    root = (json.loads(document) if isinstance(document, str) else document)[0]
    scans = [n for n in _nodes(root["Plan"]) if n.get("Relation Name") == "controltask"]
    examined = sum(
        (
            n["Actual Rows"]
            + n.get("Rows Removed by Filter", 0)
            + n.get("Rows Removed by Index Recheck", 0)
        )
        * n["Actual Loops"]
        for n in scans
    )
    return {
        "bound": bound,
        "sql": str(compiled),
        "scans": [
            (n["Node Type"], sorted({i["Index Name"] for i in _nodes(n) if "Index Name" in i}))
            for n in scans
        ],
        "examined": examined,
        "execution_ms": root["Execution Time"],
        "text": _plan_text(engine, str(compiled)),
    }


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _plan_text(engine: Engine, sql: str) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).scalars().all()
    return "\n".join(rows)


def timed(runs: int, work: Callable[[], int]) -> tuple[list[float], int]:
    """Wall seconds of each run, and the last run's result."""
    times, result = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=14_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = os.environ.get("CONTROLBOT_TEST_DATABASE_URL") or DEFAULT_URL
    with fresh_schema(base) as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            seconds = load(engine, args.releases)
            report(engine, args, seconds)
        finally:
            engine.dispose()


def report(engine: Engine, args: argparse.Namespace, load_seconds: float) -> None:
    """Run the measurements and print them."""
    with engine.connect() as connection:
        tasks = connection.execute(text("SELECT count(*) FROM controltask")).scalar_one()
        open_releases = connection.execute(
            text("SELECT count(*) FROM release WHERE state = 'open'")
        ).scalar_one()

    def select_only() -> int:
        with Session(engine) as session:
            bound = window_bound(session, NOW)
            assert bound is not None
            return len(session.execute(candidate_query(bound)).all())

    def sweep() -> int:
        with Session(engine, expire_on_commit=False) as session:
            digests = send_reminders(session=session, now=NOW, dry_run=True)
            return sum(d.reminders for d in digests) * 1_000_000 + len(digests)

    select_only()  # warm the caches and the connection pool
    select_times, candidates = timed(args.runs, select_only)
    sweep_times, packed = timed(args.runs, sweep)
    reminders, digests = divmod(packed, 1_000_000)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    sweep()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    explained = plan(engine)

    print(f"command: {COMMAND} --releases {args.releases} --runs {args.runs}")
    print(
        f"data: {tasks:,} control tasks, {args.releases:,} releases ({open_releases:,} open), "
        f"{WORKSPACES} GitHub workspaces; loaded in {load_seconds:.1f} s"
    )
    print(f"now: {NOW.isoformat()}, candidate window ends {explained['bound']}")
    print(
        f"selection (window + candidate query, {args.runs} runs): median "
        f"{statistics.median(select_times) * 1000:.0f} ms, max {max(select_times) * 1000:.0f} ms; "
        f"{candidates:,} candidate tasks"
    )
    print(
        f"send_reminders(dry_run=True) ({args.runs} runs): median "
        f"{statistics.median(sweep_times) * 1000:.0f} ms, max {max(sweep_times) * 1000:.0f} ms; "
        f"{reminders:,} due reminders in {digests:,} digests"
    )
    print(
        f"memory of one sweep: tracemalloc peak {peak / 2**20:.1f} MiB, "
        f"maxrss growth {rss_growth / 1024:.1f} MiB"
    )
    print(
        f"candidate query plan on controltask: {explained['scans']}; rows examined "
        f"{explained['examined']:,}; execution {explained['execution_ms']:.1f} ms"
    )
    seq = [s for s in explained["scans"] if s[0] == "Seq Scan"]
    print("sequential scan over controltask: " + ("YES" if seq else "no"))
    print("\nEXPLAIN (ANALYZE, BUFFERS):\n" + explained["text"])


if __name__ == "__main__":
    main()
