"""Schemathesis against the REST API's own OpenAPI document: no 5xx, and nothing odd is stored.

Every operation gets generated requests (valid and invalid bodies, paths and queries) with a write
token, against a database seeded with one release. Afterwards every stored task must still hold
a status from the table, only http(s) evidence links, and a justification where one is required.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import Priority, resolve_catalog
from tests.conftest import NOW
from workflows.access import Scope, create_token
from workflows.models import ControlTask, WorkspaceKind
from workflows.planning import Selection
from workflows.releases import create_release, ensure_workspace
from workflows.status import NEEDS_JUSTIFICATION, ControlStatus

EXAMPLES = int(os.environ.get("CONTROLBOT_FUZZ_API_EXAMPLES", "25"))
_STATE: dict[str, Any] = {}


@pytest.fixture
def api_app(engine: Engine) -> Iterator[FastAPI]:
    """The real app on a database with one local release and a write token."""
    with Session(engine) as session:
        ws = ensure_workspace(session=session, kind=WorkspaceKind.LOCAL, name="local", now=NOW)
        create_release(
            session=session,
            workspace=ws,
            catalog=resolve_catalog(None),
            name="atlas",
            version="1",
            actor="seed",
            now=NOW,
            selection=Selection(priority=Priority.HIGH),
        )
        _row, secret = create_token(
            session=session, name="fuzz", scope=Scope.WRITE, workspaces=[], now=NOW
        )
    _STATE["token"], _STATE["engine"] = secret, engine
    yield create_app(Settings(), engine=engine)
    _check_nothing_odd_was_stored(engine)


def _check_nothing_odd_was_stored(engine: Engine) -> None:
    """Every task still makes sense after the run."""
    with Session(engine) as session:
        for task in session.exec(select(ControlTask)).all():
            assert ControlStatus(task.status) in ControlStatus
            assert all(url.startswith(("http://", "https://")) for url in task.evidence)
            if task.status in NEEDS_JUSTIFICATION:
                assert task.justification


def test_no_api_call_is_a_server_error(api_app: FastAPI) -> None:
    """Generated calls to every API operation never get a 5xx."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app).include(path_regex="^/api/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    auth = {"Authorization": f"Bearer {_STATE['token']}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.headers = {**(case.headers or {}), **auth}
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        call()
