"""Leader election: exactly one process runs the scheduled jobs at a time.

PostgreSQL: a session advisory lock held on a dedicated connection for as long as the process
leads. When the process dies its connection closes and PostgreSQL releases the lock; the server
keepalives set on that connection make a vanished host count as dead within about 40 s. Each
poll checks the connection with `SELECT 1` and steps down when it is gone, so a leader cut off
from the database stops running jobs while another takes over.

SQLite: an exclusive `flock` on `<db file>.scheduler.lock`, released by the kernel when the
process exits. In-memory SQLite lives in one process only, so that process always leads.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# pg_try_advisory_lock(namespace, hashtext(schema)): one lock per schema of a database, so two
# deployments (or two test schemas) on one PostgreSQL database never block each other.
LOCK_NAMESPACE = 0x0C0B07
LOCK_SQL = "SELECT pg_try_advisory_lock(:ns, hashtext(coalesce(current_schema(), '')))"
# Server side: drop the session (and its lock) when the leader's host stops answering.
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 20",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 4",
)
# Client side (libpq): fail `SELECT 1` instead of hanging when the server stops answering, and
# name the session so `pg_stat_activity` shows which process leads.
LIBPQ_ARGS = {
    "application_name": "controlbot-scheduler-lock",
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 20,
    "keepalives_interval": 5,
    "keepalives_count": 4,
    "tcp_user_timeout": 30_000,
}


class Elector(Protocol):
    """Gains, confirms and gives up leadership; `poll` is called on every tick."""

    @property
    def is_leader(self) -> bool:
        """Whether this process led at the last poll."""
        ...

    def poll(self) -> bool:
        """Take leadership if free, or confirm it is still held; True while this process leads."""
        ...

    def release(self) -> None:
        """Give leadership up (idempotent)."""
        ...


class AlwaysLeader:
    """The only process that can see the database (in-memory SQLite)."""

    def __init__(self) -> None:
        self._leader = False

    @property
    def is_leader(self) -> bool:
        """Whether `poll` was called since the last release."""
        return self._leader

    def poll(self) -> bool:
        """Always leads."""
        self._leader = True
        return True

    def release(self) -> None:
        """Stop leading until the next poll."""
        self._leader = False


class FileLock:
    """An exclusive `flock` on a file next to the SQLite database; the kernel frees it on exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the lock."""
        return self._file is not None

    def poll(self) -> bool:
        """Try the lock once without blocking; a held flock cannot be lost, so no check."""
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        log.info("leader: holding %s (pid %s)", self.path, os.getpid())
        return True

    def release(self) -> None:
        """Unlock and close the file."""
        if self._file is None:
            return
        handle, self._file = self._file, None
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a dedicated connection, outside the app's pool."""

    def __init__(self, url: URL) -> None:
        args = LIBPQ_ARGS if url.get_driver_name() in {"psycopg", "psycopg2"} else {}
        self._engine = create_engine(url, poolclass=NullPool, connect_args=dict(args))
        self._connection: Connection | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the lock (as of the last poll)."""
        return self._connection is not None

    def poll(self) -> bool:
        """Confirm the held lock's connection with `SELECT 1`, or try to take the lock."""
        if self._connection is not None:
            return self._confirm()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("leader: database unreachable (%s); will retry", type(exc).__name__)
            return False
        try:
            got = bool(connection.execute(text(LOCK_SQL), {"ns": LOCK_NAMESPACE}).scalar())
            if got:
                for statement in SERVER_KEEPALIVES:
                    connection.execute(text(statement))
        except SQLAlchemyError as exc:
            log.warning("leader: lock query failed (%s); will retry", type(exc).__name__)
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        log.info("leader: holding the PostgreSQL advisory lock (pid %s)", os.getpid())
        return True

    def _confirm(self) -> bool:
        """`SELECT 1` on the lock's connection; a lost connection means the lock is gone."""
        assert self._connection is not None
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning(
                "leader: lost the lock's connection (%s); stepping down", type(exc).__name__
            )
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock by closing the session (PostgreSQL frees its advisory locks)."""
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        """Close the lock's connection, ignoring a connection that is already broken."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.close()
        except SQLAlchemyError:
            log.debug("leader: closing a broken connection failed", exc_info=True)


def make_elector(engine: Engine) -> Elector:
    """The election that fits the engine's database."""
    url = engine.url
    backend = url.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url)
    if backend == "sqlite":
        database = url.database or ""
        if database in {"", ":memory:"} or url.query.get("mode") == "memory":
            return AlwaysLeader()
        return FileLock(Path(f"{database}.scheduler.lock"))
    raise ValueError(f"no leader election for {backend} databases (use PostgreSQL or SQLite)")
