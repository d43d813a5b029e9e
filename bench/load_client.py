"""Open-loop HTTP/1.1 load over loopback: sends at fixed times, never waits to send the next.

Requests are pre-built bytes sent on a pool of keep-alive connections with raw asyncio streams
(cheap enough that the generator takes little of the CPU it shares with the server). Latency runs
from each request's scheduled send time to its full response, so a slow server cannot hide its
queue by slowing the sender (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
ERROR = 0  # status recorded for a request that got no HTTP answer (refused, reset, timed out)


@dataclass(frozen=True)
class Sample:
    """One request: when it was due, when its answer was complete, and the status (0: none)."""

    key: str
    scheduled: float
    done: float
    status: int


@dataclass(frozen=True)
class StepSummary:
    """What one fixed-rate step achieved."""

    offered: float
    sent: int
    ok: int
    errors: int
    throughput: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ascending values (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: Sequence[Sample], offered: float) -> StepSummary:
    """Throughput of 2xx answers over the step's span, latency percentiles of all answers."""
    statuses: dict[int, int] = {}
    for sample in samples:
        statuses[sample.status] = statuses.get(sample.status, 0) + 1
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    answered = sorted((s.done - s.scheduled) * 1000 for s in samples if s.status != ERROR)
    span = max((s.done for s in samples), default=0.0) - min(
        (s.scheduled for s in samples), default=0.0
    )
    return StepSummary(
        offered=offered,
        sent=len(samples),
        ok=ok,
        errors=len(samples) - ok,
        throughput=ok / span if span > 0 else 0.0,
        p50_ms=percentile(answered, 50),
        p99_ms=percentile(answered, 99),
        statuses=dict(sorted(statuses.items())),
    )


def accepted(samples: Sequence[Sample]) -> list[str]:
    """The keys (delivery ids) the server answered with a 2xx."""
    return [s.key for s in samples if 200 <= s.status < 300]


class _Pool:
    """Keep-alive connections to one host, at most `size` open; waiters queue in FIFO order.

    A connection idle longer than `IDLE` is closed instead of reused: uvicorn drops idle
    keep-alive connections after 5 s, and a request sent into that race would count as an error.
    """

    IDLE = 2.0

    def __init__(self, host: str, port: int, size: int) -> None:
        """No connection yet; `size` slots."""
        self.host, self.port = host, port
        self.idle: list[tuple[float, _Conn]] = []
        self.slots = asyncio.Semaphore(size)

    async def acquire(self) -> _Conn:
        """The most recently used idle connection, or a new one; waits while all slots are busy."""
        await self.slots.acquire()
        while self.idle:
            since, conn = self.idle.pop()
            if time.perf_counter() - since < self.IDLE:
                return conn
            conn[1].close()
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.slots.release()
            raise

    def release(self, conn: _Conn, keep: bool) -> None:
        """Give the connection back (or close it when it cannot be reused)."""
        if keep:
            self.idle.append((time.perf_counter(), conn))
        else:
            conn[1].close()
        self.slots.release()

    def close(self) -> None:
        """Close every idle connection."""
        for _, (_, writer) in self.idle:
            writer.close()
        self.idle.clear()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """Send one request and read its whole answer; the status code (-status: server closes)."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif length:
        await reader.readexactly(length)
    return -status if close else status


async def _one(pool: _Pool, key: str, raw: bytes, scheduled: float, timeout: float) -> Sample:
    """Send one request when a connection is free; its sample (status 0 on failure)."""
    conn = None
    try:
        async with asyncio.timeout(timeout):
            conn = await pool.acquire()
            status = await _exchange(conn[0], conn[1], raw)
    except (
        OSError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        TimeoutError,
    ):
        if conn is not None:
            pool.release(conn, keep=False)
        return Sample(key, scheduled, time.perf_counter(), ERROR)
    pool.release(conn, keep=status > 0)
    return Sample(key, scheduled, time.perf_counter(), abs(status))


async def run_step(
    host: str,
    port: int,
    requests: Sequence[tuple[str, bytes]],
    *,
    rate: float,
    connections: int,
    timeout: float,
) -> list[Sample]:
    """Send `requests` (key, raw HTTP bytes) at `rate` per second on a fixed schedule."""
    pool = _Pool(host, port, connections)
    start = time.perf_counter() + 0.05
    tasks = []
    for i, (key, raw) in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pool, key, raw, due, timeout)))
    samples = list(await asyncio.gather(*tasks))
    pool.close()
    return samples


def http_request(path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    """The raw bytes of an HTTP/1.1 POST with these headers and a Content-Length."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
