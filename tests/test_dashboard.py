"""The dashboard through the real app: sign-in, portfolio, release filters, control history, audit.

Runs on SQLite and, when CONTROLBOT_TEST_DATABASE_URL is set, on PostgreSQL. Two workspaces
(`alpha` and `beta`); a reader token limited to `alpha` must never see `beta`'s release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import Priority, resolve_catalog
from tests.conftest import NOW
from workflows.access import ADMIN, Scope, create_token
from workflows.history import control_history
from workflows.models import ControlTask, ItemKind, Release, TrackerItem, WorkspaceKind
from workflows.portfolio import portfolio_rows
from workflows.releases import create_release, ensure_workspace
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import set_status

PAST = date(2020, 3, 1)  # every due date of a release targeting this has passed
FUTURE = date(2099, 3, 1)


@dataclass(frozen=True)
class World:
    """Ids and secrets the tests look things up by."""

    alpha: int
    beta: int
    alpha_old: int
    reader_alpha: str
    reader_all: str


def _task(session: Session, release_id: int, control_id: str) -> ControlTask:
    """One task of a release by control id."""
    query = select(ControlTask).where(
        ControlTask.release_id == release_id, ControlTask.control_id == control_id
    )
    return session.exec(query).one()


def _move(session: Session, release_id: int, control_id: str, *moves: ControlStatus) -> None:
    """Move a task through statuses as `ana` through the CLI (with a note for n/a)."""
    task = _task(session, release_id, control_id)
    for i, status in enumerate(moves):
        note = "not a frontier model" if status is ControlStatus.NOT_APPLICABLE else None
        at = NOW + timedelta(minutes=i + 1)
        set_status(
            session=session,
            task=task,
            status=status,
            actor="ana",
            source=ChangeSource.CLI,
            now=at,
            note=note,
        )
    session.commit()


@pytest.fixture
def world(session: Session) -> World:
    """alpha: a current and an older release; beta: one release; tokens for alpha and for all."""
    catalog = resolve_catalog(None)
    ids: dict[str, int] = {}
    for key, ws_name, name, target in (
        ("alpha", "alpha", "atlas", FUTURE),
        ("alpha_old", "alpha", "atlas", PAST),
        ("beta", "beta", "zeus", FUTURE),
    ):
        ws = ensure_workspace(session=session, kind=WorkspaceKind.LOCAL, name=ws_name, now=NOW)
        version = "0.9" if key == "alpha_old" else "1.0"
        rel = create_release(
            session=session,
            workspace=ws,
            catalog=catalog,
            name=name,
            version=version,
            actor="seed",
            now=NOW,
            target_date=target,
        )
        assert rel.id is not None
        ids[key] = rel.id
    _move(session, ids["alpha"], "GV-1.1", ControlStatus.IN_PROGRESS, ControlStatus.DONE)
    _move(session, ids["alpha"], "GV-1.2", ControlStatus.DONE)
    _move(session, ids["alpha"], "MP-1.1", ControlStatus.NOT_APPLICABLE)
    _move(session, ids["alpha"], "MS-1.1", ControlStatus.BLOCKED)
    _move(session, ids["alpha_old"], "GV-1.1", ControlStatus.DONE)
    _move(session, ids["beta"], "GV-1.1", ControlStatus.DONE)
    owned = _task(session, ids["alpha"], "GV-1.2")
    owned.owner = "bea"
    owned.evidence = ["https://example.org/evals/42", "javascript:alert(1)"]
    session.add(owned)
    session.add(
        TrackerItem(
            release_id=ids["alpha"],
            tracker="github",
            kind=ItemKind.PARENT,
            key="atlas-1.0",
            url="https://github.example/acme/alpha/issues/1",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.commit()
    _, reader_alpha = create_token(
        session=session, name="reader-a", scope=Scope.READ, workspaces=["alpha"], now=NOW
    )
    _, reader_all = create_token(
        session=session, name="reader-all", scope=Scope.READ, workspaces=[], now=NOW
    )
    return World(ids["alpha"], ids["beta"], ids["alpha_old"], reader_alpha, reader_all)


@pytest.fixture
def app_client(engine: Engine) -> Iterator[TestClient]:
    """The real app on the test database, not following redirects."""
    with TestClient(create_app(Settings(), engine=engine), follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, token: str) -> TestClient:
    """Sign in through the form with a token; the client keeps the session cookie."""
    answer = client.post("/login", data={"token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def _rows(html: str) -> list[str]:
    """The status of every control row on a release page."""
    return re.findall(r'class="control-row" data-status="([a-z_]+)"', html)


@pytest.mark.parametrize("path", ["/", "/releases/1", "/controls/GV-1.1", "/audit"])
def test_pages_redirect_to_sign_in_when_signed_out(app_client: TestClient, path: str) -> None:
    answer = app_client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_portfolio_lists_visible_releases_with_counts(app_client: TestClient, world: World) -> None:
    html = _sign_in(app_client, world.reader_all).get("/").text
    assert "atlas 1.0" in html and "atlas 0.9" in html and "zeus 1.0" in html
    assert "3/72" in html  # alpha: two done, one not applicable; blocked is still open
    assert "71 overdue" in html  # the old release: everything but one done control is late
    assert 'href="https://github.example/acme/alpha/issues/1"' in html
    assert "not ready" in html
    assert world.reader_all not in html


def test_portfolio_rows_count_in_one_query(engine: Engine, session: Session, world: World) -> None:
    beta = session.get(Release, world.beta)
    assert beta is not None
    beta.config = {"gate": {"required": "high", "release_branch": None}}
    beta.problems, beta.pr_shas = ["unknown key: gates"], ["0123456789abcdef"]
    session.add(beta)
    session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    found = portfolio_rows(session=session, principal=ADMIN, today=NOW.date())
    assert len(statements) == 1
    rows = {r.release_id: r for r in found}
    alpha, old = rows[world.alpha], rows[world.alpha_old]
    high = sum(1 for c in resolve_catalog(None).controls if c.priority is Priority.HIGH)
    assert (alpha.total, alpha.closed, alpha.high_total, alpha.overdue) == (72, 3, high, 0)
    assert alpha.gate.open == 72 - 3 and not alpha.gate.passes
    assert alpha.tracker_url == "https://github.example/acme/alpha/issues/1"
    assert (old.closed, old.overdue, old.tracker_url) == (1, 71, None)
    assert list(rows) == [world.alpha_old, world.alpha, world.beta]  # by target, then id
    gate = rows[world.beta].gate
    assert (gate.required.value, gate.open, gate.problems) == (
        "high",
        rows[world.beta].high_total,
        1,
    )
    assert gate.published_on == "0123456789abcdef" and gate.label == "not ready"
    assert gate.detail == "12 required open · 1 config problem · high controls · check on 0123456"


def test_release_page_groups_filters_and_links(app_client: TestClient, world: World) -> None:
    client = _sign_in(app_client, world.reader_alpha)
    page = client.get(f"/releases/{world.alpha}")
    assert page.status_code == 200
    assert len(_rows(page.text)) == 72
    for function in ("Govern", "Map", "Measure", "Manage"):
        assert f">{function} <span" in page.text
    for fmt in ("md", "csv", "json", "oscal"):
        assert f'/api/releases/{world.alpha}/report?format={fmt}"' in page.text
    assert 'href="https://example.org/evals/42"' in page.text
    assert 'href="javascript:' not in page.text and "javascript:alert(1)" in page.text
    assert "not a frontier model" in page.text and "ana" in page.text
    done = client.get(f"/releases/{world.alpha}", params={"status": "done"})
    assert _rows(done.text) == ["done", "done"]
    assert "2 of 72 controls shown" in done.text
    owner = client.get(f"/releases/{world.alpha}", params={"owner": "bea", "status": ""})
    assert _rows(owner.text) == ["done"] and "GV-1.2" in owner.text
    govern = client.get(f"/releases/{world.alpha}", params={"function": "map", "priority": "high"})
    assert govern.status_code == 200 and "Govern" not in re.sub(
        r"<option.*?</option>", "", govern.text
    )
    assert client.get(f"/releases/{world.alpha}", params={"status": "nope"}).status_code == 400


def test_a_principal_limited_to_alpha_never_sees_beta(app_client: TestClient, world: World) -> None:
    client = _sign_in(app_client, world.reader_alpha)
    assert "zeus" not in client.get("/").text
    assert client.get(f"/releases/{world.beta}").status_code == 404
    assert client.get("/releases/999999").status_code == 404
    audit = client.get("/audit").text
    assert "zeus" not in audit and "atlas" in audit
    assert client.get("/audit", params={"release": world.beta}).status_code == 404
    history = client.get("/controls/GV-1.1").text
    assert "zeus" not in history and "atlas 1.0" in history and "atlas 0.9" in history
    assert client.get("/controls/NO-1.1").status_code == 404


def test_control_page_shows_its_history_across_releases(
    app_client: TestClient, world: World
) -> None:
    html = _sign_in(app_client, world.reader_all).get("/controls/GV-1.1").text
    sections = html.split('<section class="card history">')[1:]
    assert len(sections) == 3
    alpha = next(s for s in sections if "atlas 1.0" in s)
    assert "To do → In progress" in alpha and "In progress → Done" in alpha
    assert all("Done" in s for s in sections)


def test_audit_log_pages_and_filters(
    app_client: TestClient, world: World, session: Session
) -> None:
    todo = [t.control_id for t in _tasks(session, world.alpha) if t.status is ControlStatus.TODO]
    for control in todo[:60]:
        _move(session, world.alpha, control, ControlStatus.IN_PROGRESS)
    client = _sign_in(app_client, world.reader_all)
    first = client.get("/audit")
    assert first.text.count("<tr>") - 1 == 50 and 'rel="next"' in first.text
    second = client.get("/audit", params={"page": 2})
    assert 'rel="prev"' in second.text and "Page 2" in second.text
    only = client.get("/audit", params={"release": world.beta}).text
    assert "zeus 1.0" in only and "atlas" not in only.split("<table")[1]
    nobody = client.get("/audit", params={"actor": "nobody"}).text
    assert "No status changes match these filters" in nobody


def _tasks(session: Session, release_id: int) -> list[ControlTask]:
    """A release's tasks in plan order."""
    query = select(ControlTask).where(ControlTask.release_id == release_id)
    return sorted(session.exec(query).all(), key=lambda t: t.position)


def test_release_page_charts_carry_their_numbers(app_client: TestClient, world: World) -> None:
    html = _sign_in(app_client, world.reader_all).get(f"/releases/{world.alpha}").text
    assert '<svg class="chart" id="by-function"' in html and 'id="burndown"' in html
    assert '<title id="by-function-t">Completion per function</title>' in html
    assert re.search(r"govern: 2 of \d+ closed", html)
    assert re.search(r"map: 1 of \d+ closed", html)
    assert re.search(r"69 controls open on 2026-11-22, \d+ open on \d{4}-\d\d-\d\d\.", html)
    assert f"reaches 0 on the target date, {FUTURE.isoformat()}" in html


def test_pages_escape_what_users_wrote(
    app_client: TestClient, world: World, session: Session
) -> None:
    release = session.get(Release, world.alpha)
    assert release is not None
    release.name = "<script>alert(1)</script>"
    session.add(release)
    session.commit()
    client = _sign_in(app_client, world.reader_all)
    for path in ("/", f"/releases/{world.alpha}", "/controls/GV-1.1", "/audit"):
        html = client.get(path).text
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


def test_control_history_pages_through_releases(session: Session, world: World) -> None:
    first = control_history(session=session, principal=ADMIN, control_id="GV-1.1", size=2)
    second = control_history(session=session, principal=ADMIN, control_id="GV-1.1", size=2, page=2)
    assert (len(first.entries), first.has_next) == (2, True)
    assert (len(second.entries), second.has_next) == (1, False)
    seen = [e.release_id for e in (*first.entries, *second.entries)]
    assert sorted(seen) == sorted([world.alpha, world.alpha_old, world.beta])
    alpha = next(e for e in first.entries + second.entries if e.release_id == world.alpha)
    assert [(c.from_status.value, c.to_status.value) for c in alpha.changes] == [
        ("todo", "in_progress"),
        ("in_progress", "done"),
    ]
