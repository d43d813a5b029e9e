"""Releases, tasks and the audit trail on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel

from bot import migrate
from control_catalog import Priority, load_bundled
from tests.conftest import NOW
from workflows.errors import InvalidTransition, JustificationRequired, ReleaseExists, UnknownRelease
from workflows.models import ControlTask, StatusChange, Workspace, WorkspaceKind
from workflows.planning import Selection
from workflows.releases import create_release, ensure_workspace, find_release, release_tasks
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task, set_status, task_history

CATALOG = load_bundled("gpai-profile@1.2")


def _workspace(session: Session) -> Workspace:
    return ensure_workspace(session=session, kind=WorkspaceKind.LOCAL, name="local", now=NOW)


def _release(session: Session, name: str = "Atlas", version: str = "2.0", **kw: object):  # type: ignore[no-untyped-def]
    return create_release(
        session=session,
        workspace=_workspace(session),
        catalog=CATALOG,
        name=name,
        version=version,
        actor="cli:ana",
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_migrations_reach_head_and_match_the_models(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_safe_to_repeat(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_create_release_stores_one_keyed_task_per_control(session: Session) -> None:
    release = _release(session, target_date=date(2026, 12, 15))
    tasks = release_tasks(session=session, release=release)
    assert release.slug == "atlas-2.0" and release.catalog_ref == "gpai-profile@1.2"
    assert len(tasks) == 72
    assert tasks[0].key == "atlas-2.0:GV-1.1" and tasks[0].status is ControlStatus.TODO
    assert tasks[0].due_date == date(2026, 11, 24)
    assert release.created_at == NOW and release.created_at.tzinfo is not None


def test_selection_is_kept_with_the_release(session: Session) -> None:
    release = _release(session, selection=Selection(priority=Priority.HIGH))
    stored = find_release(session=session, ref="atlas-2.0")
    assert stored.selection["priority"] == "high"
    assert len(release_tasks(session=session, release=release)) < 72


def test_the_same_release_twice_is_refused_and_nothing_is_duplicated(session: Session) -> None:
    _release(session)
    with pytest.raises(ReleaseExists, match="atlas-2.0 already exists"):
        _release(session)
    assert session.exec(select(func.count()).select_from(ControlTask)).one()[0] == 72  # type: ignore[call-overload]


def test_status_change_writes_an_audit_row_in_utc(session: Session) -> None:
    release = _release(session)
    task = get_task(session=session, release=release, control_id="gv-1.1")
    later = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    change = set_status(
        session=session,
        task=task,
        status=ControlStatus.IN_PROGRESS,
        actor="cli:ana",
        source=ChangeSource.CLI,
        now=later,
    )
    assert change is not None
    session.expire_all()
    (row,) = task_history(session=session, task=task)
    assert (row.from_status, row.to_status, row.actor, row.source) == (
        ControlStatus.TODO,
        ControlStatus.IN_PROGRESS,
        "cli:ana",
        ChangeSource.CLI,
    )
    assert row.at == later and row.at.tzinfo == UTC
    assert (
        get_task(session=session, release=release, control_id="GV-1.1").status
        is ControlStatus.IN_PROGRESS
    )


def test_a_repeated_status_writes_nothing(session: Session) -> None:
    release = _release(session)
    task = get_task(session=session, release=release, control_id="MP-1.1")
    kwargs = {
        "session": session,
        "task": task,
        "actor": "a",
        "source": ChangeSource.API,
        "now": NOW,
    }
    assert set_status(status=ControlStatus.DONE, **kwargs) is not None  # type: ignore[arg-type]
    assert set_status(status=ControlStatus.DONE, **kwargs) is None  # type: ignore[arg-type]
    assert len(task_history(session=session, task=task)) == 1


def test_a_refused_move_changes_nothing(session: Session) -> None:
    release = _release(session)
    task = get_task(session=session, release=release, control_id="MP-1.1")
    kwargs = {
        "session": session,
        "task": task,
        "actor": "a",
        "source": ChangeSource.API,
        "now": NOW,
    }
    set_status(status=ControlStatus.DONE, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition):
        set_status(status=ControlStatus.BLOCKED, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(JustificationRequired):
        set_status(
            status=ControlStatus.NOT_APPLICABLE,
            **{**kwargs, "task": get_task(session=session, release=release, control_id="MP-1.2")},
        )  # type: ignore[arg-type]
    session.expire_all()
    assert (
        get_task(session=session, release=release, control_id="MP-1.1").status is ControlStatus.DONE
    )
    assert session.exec(select(func.count()).select_from(StatusChange)).one()[0] == 1  # type: ignore[call-overload]


def test_not_applicable_keeps_its_justification_until_reopened(session: Session) -> None:
    release = _release(session)
    task = get_task(session=session, release=release, control_id="MS-2.12")
    kwargs = {
        "session": session,
        "task": task,
        "actor": "a",
        "source": ChangeSource.COMMAND,
        "now": NOW,
    }
    set_status(
        status=ControlStatus.NOT_APPLICABLE, note="no training run for this release", **kwargs
    )  # type: ignore[arg-type]
    assert task.justification == "no training run for this release"
    set_status(status=ControlStatus.TODO, **kwargs)  # type: ignore[arg-type]
    assert task.justification is None


def test_audit_rows_cannot_be_edited(session: Session) -> None:
    release = _release(session)
    task = get_task(session=session, release=release, control_id="MP-1.1")
    change = set_status(
        session=session,
        task=task,
        status=ControlStatus.DONE,
        actor="a",
        source=ChangeSource.CLI,
        now=NOW,
    )
    assert change is not None
    change.actor = "someone else"
    session.add(change)
    with pytest.raises(ValueError, match="append-only"):
        session.commit()


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(Workspace(kind=WorkspaceKind.LOCAL, name="naive", created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_find_release_by_slug_or_unique_name(session: Session) -> None:
    _release(session, "Atlas", "2.0")
    assert find_release(session=session, ref="ATLAS-2.0").version == "2.0"
    assert find_release(session=session, ref="Atlas").slug == "atlas-2.0"
    _release(session, "Atlas", "2.1")
    with pytest.raises(UnknownRelease, match="matches atlas-2.0, atlas-2.1"):
        find_release(session=session, ref="Atlas")
    with pytest.raises(UnknownRelease):
        find_release(session=session, ref="nope")


def test_workspace_is_created_once(session: Session) -> None:
    first = _workspace(session)
    assert _workspace(session).id == first.id


def test_upgrading_keeps_existing_data_and_downgrade_works(db_url: str) -> None:
    from sqlalchemy import text

    from bot.db import make_engine

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO workspace (kind, name, created_at) VALUES ('local', 'w', :t)"),
                {"t": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO release (workspace_id, slug, name, version, catalog_ref,"
                    " selection, state, created_by, created_at, updated_at)"
                    " VALUES (1, 'a-1', 'a', '1', 'gpai-profile@1.2', '{}', 'open', 'x', :t, :t)"
                ),
                {"t": NOW},
            )
        migrate.upgrade(engine)
        with Session(engine) as session:
            release = find_release(session=session, ref="a-1")
            workspace = session.get(Workspace, release.workspace_id)
            assert release.config == {} and release.problems == []
            assert workspace is not None and workspace.state.value == "active"
        migrate.upgrade(engine, "head")
        from alembic import command

        command.downgrade(migrate.alembic_config(engine), "base")
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()
