"""The dashboard in a real headless Chromium: sign in, portfolio, a filtered release, a CSV export.

Playwright drives the system's Chromium (`/usr/bin/chromium`, Debian's package; `.ci/run`
installs it); the real app runs under uvicorn on 127.0.0.1 on a SQLite file. Screenshots go to
`tests/artifacts/screenshots/` (desktop and a 375 px wide phone). Never `playwright install`.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip(
        "no chromium on this machine (apt-get install chromium; .ci/run does): "
        "the browser tests need the system's Chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)

from playwright.sync_api import Browser, Page, expect  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bot import migrate  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.main import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from control_catalog import resolve_catalog  # noqa: E402
from tests.fakes.serving import serve_in_thread  # noqa: E402
from workflows.access import Scope, create_token  # noqa: E402
from workflows.models import ControlTask, WorkspaceKind  # noqa: E402
from workflows.releases import create_release, ensure_workspace  # noqa: E402
from workflows.status import ChangeSource, ControlStatus  # noqa: E402
from workflows.tasks import set_status  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # without these the closed network refuses Chromium
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DONE = ("GV-1.1", "GV-1.2", "MP-1.1", "MS-1.1", "MG-1.1")


@dataclass(frozen=True)
class Site:
    """The running app: its URL, a reader token, and the release the tests open."""

    url: str
    token: str
    release_id: int


def _seed(session: Session) -> tuple[int, str]:
    """One release of 72 controls, five of them done over the past days; a read token."""
    now = datetime.now(UTC)
    start = now - timedelta(days=6)
    ws = ensure_workspace(session=session, kind=WorkspaceKind.LOCAL, name="alpha", now=start)
    release = create_release(
        session=session,
        workspace=ws,
        catalog=resolve_catalog(None),
        name="atlas",
        version="2.0",
        actor="seed",
        now=start,
        target_date=now.date() + timedelta(days=30),
    )
    tasks = session.exec(select(ControlTask).where(ControlTask.release_id == release.id)).all()
    by_id = {t.control_id: t for t in tasks}
    for day, control in enumerate(DONE, start=1):
        set_status(
            session=session,
            task=by_id[control],
            status=ControlStatus.DONE,
            actor="ana",
            source=ChangeSource.CLI,
            now=start + timedelta(days=day),
        )
    session.commit()
    _, secret = create_token(
        session=session, name="browser", scope=Scope.READ, workspaces=[], now=now
    )
    assert release.id is not None
    return release.id, secret


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real app on a migrated, seeded SQLite file, served over HTTP."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser')}/controlbot.db")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        release_id, token = _seed(session)
    app = create_app(Settings(public_url="http://127.0.0.1"), engine=engine)
    with serve_in_thread(app) as url:
        yield Site(url, token, release_id)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system, never a downloaded one."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) with downloads allowed."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _shot(page: Page, name: str, *, phone: bool = False) -> None:
    """Save a full-page screenshot, at desktop width or as a 375 px phone."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if phone:
        page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}{'-phone' if phone else ''}.png"), full_page=True)


def _fits_the_phone(page: Page) -> bool:
    """Nothing but the scrolling tables is wider than the phone's screen."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def _sign_in(page: Page, site: Site) -> None:
    """Open the portfolio, get sent to the sign-in form, paste the token and sign in."""
    page.goto(site.url + "/")
    expect(page).to_have_url(f"{site.url}/login?next=/")
    page.fill("#token", site.token)
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url + "/")


def test_sign_in_and_the_portfolio(page: Page, site: Site) -> None:
    _sign_in(page, site)
    row = page.locator("tr.release-row", has_text="atlas 2.0")
    expect(row).to_be_visible()
    expect(row.locator("td[data-label=Completion]")).to_contain_text(f"{len(DONE)}/72")
    expect(row.locator("td[data-label=Gate]")).to_contain_text("not ready")
    assert site.token not in page.content()
    _shot(page, "portfolio")
    _shot(page, "portfolio", phone=True)
    assert _fits_the_phone(page)


def test_a_release_page_with_a_filter(page: Page, site: Site) -> None:
    _sign_in(page, site)
    page.click("a.release-name")
    expect(page).to_have_url(f"{site.url}/releases/{site.release_id}")
    expect(page.locator("tr.control-row")).to_have_count(72)
    expect(page.locator("svg#burndown")).to_be_visible()
    expect(page.locator("svg#by-function")).to_contain_text("govern")
    _shot(page, "release")
    page.select_option("select[name=status]", "done")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/releases/{site.release_id}\?status=done(&|$)"))
    rows = page.locator("tr.control-row")
    expect(rows).to_have_count(len(DONE))
    assert sorted(rows.locator("td:first-child a").all_inner_texts()) == sorted(DONE)
    expect(page.locator("#shown")).to_have_text(f"{len(DONE)} of 72 controls shown")
    _shot(page, "release-filtered")
    _shot(page, "release-filtered", phone=True)
    assert _fits_the_phone(page)


def test_a_csv_export_downloads(page: Page, site: Site, tmp_path: Path) -> None:
    _sign_in(page, site)
    page.goto(f"{site.url}/releases/{site.release_id}")
    probe = page.request.get(f"{site.url}/api/releases/{site.release_id}/report?format=csv")
    if probe.status == 404 and "no release" not in probe.text():
        pytest.skip("GET /api/releases/{release_id}/report is not in the app yet")
    with page.expect_download() as info:
        page.click("a.export:text-is('CSV')")
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    body = "\n".join(",".join(r) for r in rows)
    assert len(rows) >= 73 and all(c in body for c in DONE)
    _shot(page, "release-export")
