"""`controlbot remind`: a dry run prints the digest and writes nothing; a bad --now is one line."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from bot.db import make_engine
from tests.cli import run_cli
from tests.fakes.tracker import InMemoryTracker
from tests.test_reminders_db import _release
from workflows.models import OutboxItem, Reminder

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> str:
    """A migrated database, used by the CLI through CONTROLBOT_DATABASE_URL, with one release."""
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    assert run_cli(capsys, "db", "upgrade").code == 0
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        _release(session, InMemoryTracker())
    engine.dispose()
    return db_url


def _counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        reminders = session.exec(select(func.count()).select_from(Reminder)).one()
        jobs = session.exec(select(func.count()).select_from(OutboxItem)).one()
    engine.dispose()
    return int(reminders), int(jobs)


def test_dry_run_prints_the_digest_and_writes_nothing(db: str, capsys: Capsys) -> None:
    before = _counts(db)
    result = run_cli(capsys, "remind", "--dry-run", "--now", "2026-12-01T09:00:00+00:00")
    assert result.code == 0, result.err
    assert "== atlas-2.0 -> " in result.out and "(2 reminders)" in result.out
    assert "@alice" in result.out and "/controls snooze DAYS" in result.out
    assert result.out.strip().endswith("1 reminder digest would be queued")
    assert _counts(db) == before == (0, before[1])


def test_a_real_run_queues_once(db: str, capsys: Capsys) -> None:
    _, jobs = _counts(db)
    first = run_cli(capsys, "remind", "--now", "2026-12-01T09:00:00+00:00")
    assert first.code == 0 and "1 reminder digest queued" in first.out
    again = run_cli(capsys, "remind", "--now", "2026-12-01T10:00:00+00:00")
    assert again.code == 0 and again.out.strip() == "0 reminder digests queued"
    assert _counts(db) == (2, jobs + 1)


@pytest.mark.parametrize("value", ["2026-12-01T09:00:00", "tomorrow", "2026-13-01T00:00:00Z"])
def test_a_bad_now_is_a_one_line_error(db: str, capsys: Capsys, value: str) -> None:
    result = run_cli(capsys, "remind", "--dry-run", "--now", value)
    assert result.code == 1 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --now must be an ISO-8601 timestamp")
