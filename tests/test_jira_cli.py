"""`controlbot jira ...` against the fake Jira: connect, check, open (and resume), errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.cli import CliResult, run_cli
from tests.fakes.jira import FakeJira, create_fake_jira_app
from tests.fakes.serving import serve_in_thread
from workflows.jira_setup import find_project, project_config
from workflows.models import Release, TrackerItem
from workflows.sync_errors import tracker_errors

Capsys = pytest.CaptureFixture[str]
OPEN = ("jira", "open", "--project", "CTRL", "--name", "Atlas", "--version", "2.0")


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[FakeJira, str]]:
    fake = FakeJira("cloud")
    with serve_in_thread(create_fake_jira_app(fake)) as base:
        yield fake, base


@pytest.fixture
def fake(
    site: tuple[FakeJira, str], engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> FakeJira:
    """A fresh Cloud fake that the CLI reaches through CONTROLBOT_JIRA_* settings."""
    jira, base = site
    jira.reset()
    env = {
        "DATABASE_URL": db_url,
        "JIRA_URL": base,
        "JIRA_EMAIL": jira.email,
        "JIRA_API_TOKEN": jira.api_token,
        "JIRA_MAX_RETRIES": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"CONTROLBOT_{name}", value)
    return jira


def _error_line(result: CliResult) -> str:
    assert result.code == 1 and "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


def test_connect_stores_the_project_config_and_who_controlbot_is(
    fake: FakeJira, engine: Engine, capsys: Capsys
) -> None:
    result = run_cli(
        capsys,
        "jira", "connect", "--project", "CTRL", "--label", "ai-risk", "--component", "Safety",
        "--status", "in_progress=In Review", "--na-resolution", "Obsolete",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "as workspace 127.0.0.1:" in result.out and fake.api_token not in result.out
    with Session(engine) as session:
        workspace = find_project(session=session, project_key="CTRL")
        assert workspace is not None and workspace.name.endswith("/CTRL")
        config = project_config(workspace)
        assert workspace.config["self_ids"] == ["557058:0f6c5a3e-bot"]
    assert config.labels == ("controlbot", "ai-risk") and config.components == ("Safety",)
    assert dict(config.status_overrides) == {"in_progress": "In Review"}
    assert config.na_resolutions == ("Obsolete",)


def test_bad_options_and_missing_settings_are_one_line_errors(
    fake: FakeJira, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = run_cli(capsys, "jira", "connect", "--project", "CTRL", "--status", "finished=Done")
    assert "--status must look like STATE=NAME" in _error_line(bad)
    not_connected = run_cli(capsys, *OPEN)
    assert "Jira project CTRL is not connected" in _error_line(not_connected)
    monkeypatch.delenv("CONTROLBOT_JIRA_URL")
    unset = run_cli(capsys, "jira", "check", "--project", "CTRL")
    assert "set CONTROLBOT_JIRA_URL" in _error_line(unset)
    monkeypatch.setenv("CONTROLBOT_JIRA_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CONTROLBOT_JIRA_API_TOKEN", "wrong-secret-token")
    refused = run_cli(capsys, "jira", "check", "--project", "CTRL")
    assert "wrong-secret-token" not in _error_line(refused)


def test_check_prints_one_line_per_problem_and_exits_1(fake: FakeJira, capsys: Capsys) -> None:
    assert run_cli(capsys, "jira", "check", "--project", "CTRL").code == 0
    connect = ("jira", "connect", "--project", "CTRL", "--na-resolution", "Obsolete")
    assert run_cli(capsys, *connect).code == 0
    fake.require_field("CTRL", "components")
    result = run_cli(capsys, "jira", "check", "--project", "CTRL")
    assert _error_line(result) == "error: 3 problem(s) in Jira project CTRL"
    assert result.out.strip().splitlines() == [
        "missing: Task: required field 'Component/s' (components) is not filled by controlbot",
        "missing: Epic: required field 'Component/s' (components) is not filled by controlbot",
        "missing: none of the not-applicable resolutions exist on the site (Obsolete)",
    ]
    missing_project = run_cli(capsys, "jira", "check", "--project", "NOPE")
    assert missing_project.code == 1 and missing_project.out.strip() == (
        "missing: Jira project NOPE does not exist or this user cannot see it"
    )


def test_a_refused_field_is_recorded_and_a_rerun_finishes(
    fake: FakeJira, engine: Engine, capsys: Capsys
) -> None:
    assert run_cli(capsys, "jira", "connect", "--project", "CTRL").code == 0
    project = fake.projects["CTRL"]
    original = list(project.issue_types)
    project.issue_types = [
        dataclasses.replace(t, required_fields=t.required_fields | {"components"})
        if t.name == "Task"
        else t
        for t in original
    ]
    failed = run_cli(capsys, *OPEN)
    line = _error_line(failed)
    assert "Jira refused 72 item(s) twice" in line and "controlbot release status" in line
    with Session(engine) as session:
        release = session.exec(select(Release)).one()
        errors = tracker_errors(session=session, release=release)
    assert len(errors) == 72 and all("components: Component/s is required." in e for e in errors)
    epics = [i for i in fake.issues.values() if fake.type_of(i).name == "Epic"]
    assert len(epics) == 1 and len(fake.issues) == 1

    project.issue_types = original  # an admin fixes the create screen
    again = run_cli(capsys, *OPEN)
    assert again.code == 0, again.err
    assert "resumed release atlas-2.0" in again.out and "72 issues created" in again.out
    assert len(fake.issues) == 73
    (epic,) = [i for i in fake.issues.values() if fake.type_of(i).name == "Epic"]
    assert all(i.fields.get("parent") == epic.id for i in fake.issues.values() if i is not epic)
    with Session(engine) as session:
        assert tracker_errors(session=session, release=release) == []
        rows = session.exec(select(TrackerItem).where(col(TrackerItem.external_id).is_(None)))
        assert rows.all() == []
    third = run_cli(capsys, *OPEN)
    assert third.code == 0 and "0 issues created" in third.out and len(fake.issues) == 73
