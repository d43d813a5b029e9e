"""Webhook ingest: signed GitHub `issues` events per second and latency at POST /webhooks/github.

Starts `controlbot serve` (uvicorn, one process, outbox worker off) on a fresh database with a
72-control release whose control issues are tracked, then a separate load process sends
pre-signed `issues.closed` / `issues.reopened` deliveries (GitHub's real payload shape and
headers, 5% redeliveries) from several keep-alive connections. Afterwards it checks that every
accepted delivery id is stored exactly once.

    .venv/bin/python -m bench.webhook_ingest --db sqlite
    .venv/bin/python -m bench.webhook_ingest --db postgres   # CONTROLBOT_TEST_DATABASE_URL or local

Prints throughput, p50/p99 latency, errors and the stored-delivery check.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, func, text
from sqlmodel import Session, select

from bot import migrate
from bot.db import make_engine
from bot.security import sign
from control_catalog import load_bundled
from tests.fakes.serving import free_port
from tests.fakes.tracker import InMemoryTracker
from tests.github_payloads import payload
from workflows.models import Delivery, WorkspaceKind
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.tracking import sync_release

SECRET = "bench-secret"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database(kind: str, tmp: str) -> tuple[str, str | None]:
    """A fresh database URL (and the PostgreSQL schema to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/ingest.db", None
    base = os.environ.get("CONTROLBOT_TEST_DATABASE_URL", PG_DEFAULT)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(base).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{base}?options=-csearch_path%3D{schema}", schema


def seed(url: str) -> list[int]:
    """Migrate, open a release with one tracked issue per control; the issue numbers."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        workspace = ensure_workspace(
            session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=now
        )
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=load_bundled("gpai-profile@1.2"),
            name="Atlas",
            version="2.0",
            actor="bench",
            now=now,
            target_date=date(2026, 12, 15),
        )
        tracker = InMemoryTracker()
        config = RepoConfig(granularity=Granularity.CONTROL)
        sync_release(session=session, release=release, tracker=tracker, config=config, now=now)
        numbers = [i.number for i in tracker.items.values() if i.spec.key != release.slug]
    engine.dispose()
    return numbers


def deliveries(numbers: list[int], count: int) -> list[tuple[str, bytes]]:
    """Pre-signed bodies: per issue, alternating close and reopen with rising timestamps."""
    start = datetime(2027, 1, 1, tzinfo=UTC)
    bodies: list[tuple[str, bytes]] = []
    for n in range(count):
        number = numbers[n % len(numbers)]
        closing = (n // len(numbers)) % 2 == 0
        name = "issues/closed.completed.json" if closing else "issues/reopened.payload.json"
        body = payload(name, repo="o/r", number=number, sender="ana")
        body["issue"]["updated_at"] = (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        bodies.append((str(uuid.uuid4()), json.dumps(body).encode()))
    redelivered = bodies[: count // 20]
    return bodies + redelivered


def load(url: str, work: list[tuple[str, bytes]], connections: int, queue: Any) -> None:
    """Load process: send every delivery over `connections` keep-alive sessions; report timings."""
    chunks = [work[i::connections] for i in range(connections)]
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def send(chunk: list[tuple[str, bytes]]) -> None:
        session = requests.Session()
        mine = []
        for delivery_id, body in chunk:
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": delivery_id,
                "X-Hub-Signature-256": sign(body, SECRET),
            }
            started = time.perf_counter()
            status = session.post(url, data=body, headers=headers, timeout=30).status_code
            mine.append((time.perf_counter() - started, status))
        with lock:
            results.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=send, args=(c,)) for c in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((time.perf_counter() - began, results))


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`controlbot serve` on the database, worker off, waiting until it answers."""
    env = {
        **os.environ,
        "CONTROLBOT_DATABASE_URL": url,
        "CONTROLBOT_GITHUB_WEBHOOK_SECRET": SECRET,
        "CONTROLBOT_RUN_WORKER": "false",
    }
    script = str(Path(sys.executable).parent / "controlbot")
    server = subprocess.Popen(
        [script, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("controlbot serve did not start")


def main() -> None:
    """Run one ingest measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = database(args.db, tmp)
        work = deliveries(seed(url), args.requests)
        port = free_port()
        server = serve(url, port, args.workers)
        try:
            queue: Any = multiprocessing.get_context("spawn").Queue()
            endpoint = f"http://127.0.0.1:{port}/webhooks/github"
            loader = multiprocessing.get_context("spawn").Process(
                target=load, args=(endpoint, work, args.connections, queue)
            )
            loader.start()
            elapsed, results = queue.get()
            loader.join()
        finally:
            server.terminate()
            server.wait(timeout=10)
        report(args, url, work, elapsed, results)
        if schema:
            with create_engine(
                os.environ.get("CONTROLBOT_TEST_DATABASE_URL", PG_DEFAULT)
            ).begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def report(
    args: Any,
    url: str,
    work: list[tuple[str, bytes]],
    elapsed: float,
    results: list[tuple[float, int]],
) -> None:
    """Print throughput, latency percentiles, errors and the stored-once check."""
    latencies = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for _, status in results if status >= 300)
    engine = make_engine(url)
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(Delivery)).one()
    engine.dispose()
    unique = len({d for d, _ in work})
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"db={args.db} workers={args.workers} requests={len(results)} "
        f"connections={args.connections} "
        f"throughput={len(results) / elapsed:.0f}/s p50={statistics.median(latencies):.1f}ms "
        f"p99={p99:.1f}ms errors={errors} stored={stored}/{unique} unique deliveries"
    )


if __name__ == "__main__":
    main()
