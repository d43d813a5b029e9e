"""Moving a release's target date: open due dates follow, closed ones stay, the tracker is told."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import load_bundled
from tests.cli import run_cli
from tests.conftest import NOW
from tests.fakes.tracker import InMemoryTracker
from workflows.mirror import change_status
from workflows.models import OutboxItem, Release, WorkspaceKind
from workflows.releases import create_release, ensure_workspace
from workflows.repo_config import Granularity, RepoConfig
from workflows.retarget import retarget_release
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task
from workflows.tracking import sync_release


def _release(session: Session) -> Release:
    workspace = ensure_workspace(session=session, kind=WorkspaceKind.GITHUB, name="o/r", now=NOW)
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name="Atlas",
        version="2.0",
        actor="t",
        now=NOW,
        target_date=date(2026, 12, 15),
    )
    config = RepoConfig(granularity=Granularity.CHECKLIST, due_offsets={"measure": 21, "map": 28})
    release.config = config.model_dump(mode="json")
    sync_release(
        session=session, release=release, tracker=InMemoryTracker(), config=config, now=NOW
    )
    return release


def test_open_due_dates_follow_and_the_tracker_is_told(session: Session) -> None:
    release = _release(session)
    done = get_task(session=session, release=release, control_id="MS-1.1")
    change_status(
        session=session,
        task=done,
        status=ControlStatus.DONE,
        actor="a",
        source=ChangeSource.CLI,
        now=NOW,
    )
    moved = retarget_release(
        session=session, release=release, target_date=date(2027, 1, 31), actor="ana", now=NOW
    )
    assert moved == 71  # every open control; the done one keeps its date
    assert get_task(session=session, release=release, control_id="MS-2.1").due_date == date(
        2027, 1, 10
    )
    assert get_task(session=session, release=release, control_id="MP-1.1").due_date == date(
        2027, 1, 3
    )
    # planned with the default MEASURE offset (14 days), and kept because it is done
    kept = get_task(session=session, release=release, control_id="MS-1.1")
    assert kept.due_date == date(2026, 12, 1)
    comments = [j for j in session.exec(select(OutboxItem)).all() if j.kind == "comment"]
    assert len(comments) == 1
    assert (
        "ana moved the target date of **Atlas 2.0** from 2026-12-15 to 2027-01-31"
        in comments[0].payload["body"]
    )
    assert (
        retarget_release(
            session=session, release=release, target_date=date(2027, 1, 31), actor="ana", now=NOW
        )
        == 0
    )


def test_cli_and_api_move_the_target_date(
    engine: Engine,
    db_url: str,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _release(session)
    session.close()  # the app below disposes the engine; hold no connection across it
    monkeypatch.setenv("CONTROLBOT_DATABASE_URL", db_url)
    result = run_cli(capsys, "release", "retarget", "atlas-2.0", "--target-date", "2027-02-01")
    assert (
        result.out.strip() == "atlas-2.0 now targets 2027-02-01: 72 open controls got new due dates"
    )
    bad = run_cli(capsys, "release", "retarget", "atlas-2.0", "--target-date", "soon")
    assert bad.code == 1 and "--target-date must be a date" in bad.err
    with TestClient(create_app(Settings(api_token=SecretStr("t")), engine=engine)) as client:
        auth = {"Authorization": "Bearer t"}
        answer = client.patch(
            "/api/releases/atlas-2.0", json={"target_date": "2027-03-01"}, headers=auth
        )
        assert answer.status_code == 200 and answer.json()["moved"] == 72
        assert (
            client.patch(
                "/api/releases/atlas-2.0", json={"target_date": "march"}, headers=auth
            ).status_code
            == 422
        )
        assert (
            client.patch(
                "/api/releases/zeus", json={"target_date": "2027-03-01"}, headers=auth
            ).status_code
            == 404
        )
