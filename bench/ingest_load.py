"""Ingest under open-loop load: `controlbot serve --workers 2` against a bare FastAPI ceiling.

For each backend (SQLite, PostgreSQL) the run migrates a fresh database with `controlbot db
upgrade`, seeds a 72-control release with a tracked issue per control (`bench.webhook_ingest`),
and starts `controlbot serve` with the outbox worker off. A separate load process (spawned, not
forked) sends signed, unique GitHub `issues.closed`/`issues.reopened` deliveries with GitHub's
headers at fixed rates. Right before each backend the same load hits a bare FastAPI app served
the same way: the ceiling. Afterwards every 2xx-accepted delivery id must be in the database.

    .venv/bin/python -m bench.ingest_load --backend both --rates 50,100,200,400 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load_client import StepSummary, accepted, http_request, run_step, summarize

SECRET = "bench-secret"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
Run = dict[str, Any]  # one target's results: name, steps, stored check, accepted count


@dataclass(frozen=True)
class LoadSpec:
    """What the load process sends: where, which issues, how fast, for how long."""

    port: int
    numbers: list[int]
    rates: list[float]
    seconds: float
    warmup: int
    connections: int
    timeout: float


@dataclass(frozen=True)
class StepResult:
    """One step's summary and the delivery ids the server accepted."""

    rate: float
    summary: StepSummary
    accepted: list[str]


def github_headers(delivery_id: str, body: bytes) -> dict[str, str]:
    """The headers GitHub's Hookshot sends with an `issues` delivery, signed with SECRET."""
    key = SECRET.encode()
    return {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/a2b9c7e",
        "X-GitHub-Delivery": delivery_id,
        "X-GitHub-Event": "issues",
        "X-GitHub-Hook-ID": "412345678",
        "X-GitHub-Hook-Installation-Target-ID": "1",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
    }


def load_process(spec: LoadSpec, queue: Any) -> None:
    """Entry of the spawned load process: build every delivery, run warm-up and steps, report."""
    from bench.webhook_ingest import deliveries

    counts = [spec.warmup] + [int(rate * spec.seconds) for rate in spec.rates]
    work = deliveries(spec.numbers, sum(counts))[: sum(counts)]
    raw = [
        (d, http_request("/webhooks/github", f"{HOST}:{spec.port}", github_headers(d, b), b))
        for d, b in work
    ]
    results: list[StepResult] = []
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        offset = 0
        for rate, count in zip([25.0, *spec.rates], counts, strict=True):
            batch = raw[offset : offset + count]
            offset += count
            samples = runner.run(
                run_step(
                    HOST,
                    spec.port,
                    batch,
                    rate=rate,
                    connections=spec.connections,
                    timeout=spec.timeout,
                )
            )
            results.append(StepResult(rate, summarize(samples, rate), accepted(samples)))
            time.sleep(2.0)  # let the server drain and settle before the next step
    queue.put(results)


def run_load(spec: LoadSpec) -> list[StepResult]:
    """Run the load in a separate, spawned process; its results (warm-up first)."""
    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue()
    process = context.Process(target=load_process, args=(spec, queue))
    process.start()
    results: list[StepResult] = queue.get()
    process.join()
    return results


def wait_until_up(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /healthz until the server answers; fail with its log if it exits or never does."""
    for _ in range(600):
        if server.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1)
            time.sleep(1.0)  # give the second worker time to start as well
            return
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"server on {port} did not start:\n{log.read_text()[-3000:]}")


def start(command: list[str], port: int, env: dict[str, str], cwd: Path, log: Path) -> Any:
    """Start a server process (access log to /dev/null, errors to `log`) and wait for it."""
    with log.open("wb") as errors:
        server = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors
        )
    wait_until_up(port, server, log)
    return server


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server this run started (SIGTERM, then SIGKILL)."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def controlbot_env(url: str, tmp: str) -> dict[str, str]:
    """Environment for `controlbot`: the database, the webhook secret, the worker off."""
    return {
        **os.environ,
        "CONTROLBOT_DATABASE_URL": url,
        "CONTROLBOT_GITHUB_WEBHOOK_SECRET": SECRET,
        "CONTROLBOT_RUN_WORKER": "false",
        "CONTROLBOT_GITHUB_CREDENTIALS_FILE": f"{tmp}/no-credentials.json",
    }


def stored_check(url: str, ids: set[str]) -> tuple[int, int]:
    """How many GitHub deliveries the database holds, and how many accepted ids it lacks."""
    from sqlalchemy import select

    from bot.db import make_engine
    from workflows.models import Delivery

    table = Delivery.__table__  # type: ignore[attr-defined]
    engine = make_engine(url)
    with engine.connect() as connection:
        query = select(table.c.delivery_id).where(table.c.source == "github")
        stored = set(connection.execute(query).scalars())
    engine.dispose()
    return len(stored), len(ids - stored)


def measure(name: str, url: str | None, args: argparse.Namespace, tmp: str) -> Run:
    """Serve the target, load it and (for a database) check what was stored."""
    from tests.fakes.serving import free_port

    port = free_port()
    numbers = list(range(2, 74))
    log = Path(tmp) / f"{name}.log"
    if url is None:
        command = [str(BIN / "python"), "-m", "bench.bare_app", "--port", str(port)]
        env = dict(os.environ)
        server = start([*command, "--workers", str(args.workers)], port, env, ROOT, log)
    else:
        from bench.webhook_ingest import seed

        env = controlbot_env(url, tmp)
        subprocess.run([str(BIN / "controlbot"), "db", "upgrade"], env=env, cwd=tmp, check=True)
        numbers = seed(url)
        command = [str(BIN / "controlbot"), "serve", "--port", str(port)]
        server = start([*command, "--workers", str(args.workers)], port, env, Path(tmp), log)
    spec = LoadSpec(
        port, numbers, args.rates, args.seconds, args.warmup, args.connections, args.timeout
    )
    try:
        results = run_load(spec)
    finally:
        stop(server)
    ids = {i for r in results for i in r.accepted}
    check = stored_check(url, ids) if url else None
    return {"name": name, "steps": results[1:], "check": check, "accepted": len(ids)}


def database(kind: str, tmp: str, stack: ExitStack) -> str:
    """A fresh SQLite file, or a fresh PostgreSQL schema (dropped when the stack closes)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/{time.monotonic_ns()}.db"
    from tests.support import pg_schema

    base = os.environ.get("CONTROLBOT_TEST_DATABASE_URL", PG_DEFAULT)
    return stack.enter_context(pg_schema(base, prefix="bench_load"))


def table(runs: list[tuple[Run, Run | None]]) -> str:
    """The figures: a line per target and rate (% of the ceiling run just before), then peaks."""
    head = f"{'target':<10} {'rate':>5} {'sent':>5} {'thru/s':>7} {'p50 ms':>7} {'p99 ms':>8}"
    lines = [f"{head} {'errors':>6} {'% ceil':>6}  statuses"]
    for ceiling, backend in runs:
        for run in (ceiling, backend) if backend else (ceiling,):
            for step, top in zip(run["steps"], ceiling["steps"], strict=True):
                s = step.summary
                share = 100 * s.throughput / top.summary.throughput if top.summary.throughput else 0
                lines.append(
                    f"{run['name']:<10} {s.offered:>5.0f} {s.sent:>5} {s.throughput:>7.1f} "
                    f"{s.p50_ms:>7.1f} {s.p99_ms:>8.1f} {s.errors:>6} {share:>6.0f}  {s.statuses}"
                )
        if backend is None:
            continue
        stored, missing = backend["check"]
        lines.append(
            f"{backend['name']}: {backend['accepted']} accepted, {stored} stored, "
            f"accepted but missing: {missing}"
        )
        peak, top = (max(r.summary.throughput for r in x["steps"]) for x in (backend, ceiling))
        lines.append(
            f"{backend['name']}: peak {peak:.0f}/s = {100 * peak / top:.0f}% of the ceiling's "
            f"peak {top:.0f}/s over these rates"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse options, run the ceiling then the backend for each backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    choices = ("sqlite", "postgres", "both", "ceiling")
    parser.add_argument("--backend", choices=choices, default="both", help="ceiling: only it")
    parser.add_argument("--rates", default="50,100,200,400", help="deliveries/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections, max")
    parser.add_argument("--warmup", type=int, default=100, help="deliveries sent first, unreported")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before an error")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    backends = {"both": ["sqlite", "postgres"], "ceiling": []}.get(args.backend, [args.backend])
    runs: list[tuple[Run, Run | None]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        for kind in backends or [None]:
            ceiling = measure("ceiling", None, args, tmp)
            backend = measure(kind, database(kind, tmp, stack), args, tmp) if kind else None
            runs.append((ceiling, backend))
            print(table(runs[-1:]), flush=True)
    print(f"\nworkers={args.workers} seconds/step={args.seconds} connections<={args.connections}")
    print(table(runs))


if __name__ == "__main__":
    main()
