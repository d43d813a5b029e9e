"""Opening recurring reviews (SQLite and PostgreSQL): once per period, linked, via the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from control_catalog import Kind, load_bundled
from tests.cli import run_cli
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.jobs import drain
from workflows.models import ControlTask, OutboxItem, Review, WorkspaceKind
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import RepoConfig, parse_repo_config
from workflows.reviews import OPEN_REVIEW, open_reviews

CATALOG = load_bundled("gpai-profile@1.2")
RECURRING = {c.id for c in CATALOG.controls if c.kind is Kind.RECURRING}
MONTHLY = {c.id for c in CATALOG.controls if c.cadence == "monthly"}
DEC_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _workspace_with_release(session: Session, config: RepoConfig | None = None) -> None:
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=CATALOG,
        name="Atlas",
        version="2.0",
        actor="manager",
        now=NOW,
    )
    release.config = (config or RepoConfig()).model_dump(mode="json")
    session.add(release)
    session.commit()


def _count(session: Session, model: type[Review] | type[OutboxItem]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_one_review_per_control_per_period_and_none_again(session: Session) -> None:
    _workspace_with_release(session)
    run = open_reviews(session=session, now=NOW)
    assert {control for _, control, _ in run.opened} == RECURRING and not run.problems
    assert _count(session, Review) == len(RECURRING)
    jobs = session.exec(select(OutboxItem).where(OutboxItem.kind == OPEN_REVIEW)).all()
    assert len(jobs) == len(RECURRING)
    review = session.exec(select(Review).where(Review.control_id == "MS-2.4")).one()
    assert (review.period, review.due_date) == ("2026-11-01", date(2026, 11, 30))
    task = session.get(ControlTask, review.task_id)
    assert task is not None and task.due_date == date(2026, 11, 30)
    assert open_reviews(session=session, now=NOW).opened == []
    assert _count(session, Review) == len(RECURRING)


def test_the_next_period_opens_the_next_review_linked_to_the_previous(session: Session) -> None:
    _workspace_with_release(session)
    open_reviews(session=session, now=NOW)
    run = open_reviews(session=session, now=DEC_1)
    assert {control for _, control, _ in run.opened} == MONTHLY
    reviews = session.exec(
        select(Review).where(Review.control_id == "MS-2.4").order_by(col(Review.opens_at))
    ).all()
    assert [r.period for r in reviews] == ["2026-11-01", "2026-12-01"]
    assert reviews[1].previous_id == reviews[0].id
    assert open_reviews(session=session, now=DEC_1).opened == []


def test_a_bad_cadence_is_a_config_problem_and_the_other_controls_get_reviews(
    session: Session,
) -> None:
    text = "reviews:\n  cadences:\n    GV-1.5: fortnightly\n    MS-2.4: 'cron: 0 9 * *'\n"
    text += "    MS-1.3: monthly\n  controls: [GV-1.1]\n"
    config, problems = parse_repo_config(text)
    assert len(problems) == 2
    assert problems[0].startswith(".github/controlbot.yml: reviews.cadences.GV-1.5: unknown")
    assert "reviews.cadences.MS-2.4: cron expression" in problems[1]
    assert config.reviews.cadences == {"MS-1.3": "monthly"}
    _workspace_with_release(session, config)
    run = open_reviews(session=session, now=NOW)
    assert {control for _, control, _ in run.opened} == RECURRING | {"GV-1.1"}
    periods = {r.control_id: r.period for r in session.exec(select(Review)).all()}
    assert periods["GV-1.5"] == "2026-01-01"  # the catalog's annual cadence
    assert periods["MS-1.3"] == "2026-11-01"  # monthly from config, not annual


def test_end_to_end_the_review_item_appears_once_and_links_the_previous(engine: Engine) -> None:
    tracker = InMemoryTracker()
    with Session(engine, expire_on_commit=False) as session:
        _workspace_with_release(session)
        open_reviews(session=session, now=NOW)
        open_reviews(session=session, now=NOW)
    for _ in range(3):
        drain(engine=engine, tracker_for=lambda _ws: tracker, clock=lambda: NOW)
    first = [i for i in tracker.items.values() if i.spec.title.startswith("Review MS-2.4")]
    assert len(first) == 1 and "Previous review: none" in first[0].body
    assert "**MS-2.4**" in first[0].body and "due **2026-11-30**" in first[0].body
    with Session(engine, expire_on_commit=False) as session:
        open_reviews(session=session, now=DEC_1)
    for _ in range(3):
        drain(engine=engine, tracker_for=lambda _ws: tracker, clock=lambda: DEC_1)
    items = [i for i in tracker.items.values() if i.spec.title.startswith("Review MS-2.4")]
    assert len(items) == 2
    assert f"Previous review: #{first[0].number}" in items[1].body
    assert len(tracker.items) == len(RECURRING) + len(MONTHLY)


def test_cli_opens_and_lists_reviews(
    session: Session,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _workspace_with_release(session)
    session.close()
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    now = "2026-11-22T12:00:00+00:00"
    opened = run_cli(capsys, "review", "open", "--now", now)
    assert opened.code == 0 and "MS-2.4" in opened.out
    listing = run_cli(capsys, "review", "list", "--format", "json", "--now", now)
    assert listing.code == 0 and "MS-2.4" in listing.out
    again = run_cli(capsys, "review", "open", "--now", now)
    assert again.code == 0 and "MS-2.4" not in again.out
    bad = run_cli(capsys, "review", "open", "--now", "tomorrow")
    assert bad.code != 0 and "Traceback" not in bad.err and len(bad.err.strip().splitlines()) == 1


def test_the_usual_reminders_apply_to_review_items(engine: Engine) -> None:
    from workflows.remind import send_reminders

    with Session(engine, expire_on_commit=False) as session:
        _workspace_with_release(session)
        open_reviews(session=session, now=NOW)
    tracker = InMemoryTracker()
    drain(engine=engine, tracker_for=lambda _w: tracker, clock=lambda: NOW)  # files the reviews
    due_soon = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # MS-2.4's November review is due 11-30
    with Session(engine, expire_on_commit=False) as session:
        digests = send_reminders(session=session, now=due_soon, dry_run=True)
    review_digests = [d for d in digests if "MS-2.4" in d.body]
    assert review_digests, [d.release_slug for d in digests]
    assert any("review" in d.release_slug for d in review_digests)
