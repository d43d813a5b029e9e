"""Hypothesis against `POST /webhooks/github` and `/webhooks/jira`: no 5xx, no garbage stored.

The app and its SQLite database are built once per module (not per example), so the
function-scoped-fixture health check does not apply; each example snapshots the stored
releases, tasks and status changes and checks they did not move.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot import migrate
from bot.db import make_engine
from bot.main import create_app
from bot.security import sign
from bot.settings import Settings
from control_catalog import load_bundled
from tests.conftest import NOW
from workflows.models import ControlTask, Delivery, Release, StatusChange, WorkspaceKind
from workflows.releases import create_release, ensure_workspace

LONG = os.environ.get("CONTROLBOT_FUZZ_LONG") == "1"
EXAMPLES = 10_000 if LONG else 200
GITHUB_SECRET = "fuzz-github-secret"
JIRA_SECRET = "fuzz-jira-secret"
FIXTURES = Path(__file__).parents[1] / "fixtures"
REAL = sorted(p for p in FIXTURES.rglob("*.json"))
EVENTS = ["issues", "issue_comment", "installation", "release", "check_run", "ping", "push"]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not LONG,
)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Engine, TestClient]]:
    """A migrated SQLite database with one local release, and the app on it."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/fuzz.db")
        migrate.upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            workspace = ensure_workspace(
                session=session, kind=WorkspaceKind.LOCAL, name="local", now=NOW
            )
            create_release(
                session=session,
                workspace=workspace,
                catalog=load_bundled("gpai-profile@1.2"),
                name="atlas",
                version="1.0",
                actor="t",
                now=NOW,
            )
            session.commit()
        app_settings = Settings(
            github_webhook_secret=SecretStr(GITHUB_SECRET),
            jira_webhook_secret=SecretStr(JIRA_SECRET),
            max_webhook_bytes=100_000,
        )
        with TestClient(create_app(app_settings, engine=engine)) as client:
            yield engine, client
        engine.dispose()


def _snapshot(engine: Engine) -> tuple[Any, ...]:
    """What must never change through garbage: releases, task statuses, the audit trail."""
    with Session(engine) as session:
        releases = [(r.id, r.slug) for r in session.exec(select(Release)).all()]
        tasks = [(t.id, t.status.value) for t in session.exec(select(ControlTask)).all()]
        changes = session.exec(select(func.count()).select_from(StatusChange)).one()
        return tuple(releases), tuple(tasks), changes


def _deliveries(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Delivery)).one())


# -- strategies -----------------------------------------------------------------------------

_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    """A real payload with a few values replaced, keys dropped or types changed."""
    data: Any = json.loads(draw(st.sampled_from(REAL)).read_text())
    for _ in range(draw(st.integers(1, 4))):
        node, path = data, []
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            parent, node = node, node[key]
        if not path:
            continue
        if draw(st.booleans()):
            parent[path[-1]] = draw(_json)
        else:
            del parent[path[-1]]
    return json.dumps(data).encode()


_bodies = st.one_of(
    st.binary(max_size=512),
    _json.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.text(max_size=10), _json, max_size=6).map(lambda v: json.dumps(v).encode()),
    _mutated(),
)
_header_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=1,
    max_size=20,
)
_extra_headers = st.dictionaries(_header_names, st.text(_ascii, max_size=40), max_size=4)
_signing = st.sampled_from(["valid", "wrong-secret", "other-body", "random", "missing", "bare"])


def _signature(mode: str, body: bytes, secret: str, noise: str) -> str | None:
    """The signature header value for a mode (None: leave the header out)."""
    return {
        "valid": sign(body, secret),
        "wrong-secret": sign(body, secret + "x"),
        "other-body": sign(body + b" ", secret),
        "random": noise,
        "missing": None,
        "bare": sign(body, secret).removeprefix("sha256="),
    }[mode]


def _check(
    engine: Engine, answer: Any, mode: str, before: tuple[Any, ...], deliveries: int
) -> None:
    """No 5xx; a bad signature is 401 and stores nothing; garbage leaves the data alone."""
    assert answer.status_code < 500, answer.text
    if mode != "valid":
        assert answer.status_code == 401, (mode, answer.status_code, answer.text)
        assert _deliveries(engine) == deliveries
    else:
        assert 200 <= answer.status_code < 500
    assert _snapshot(engine) == before


@FUZZ
@given(
    body=_bodies,
    mode=_signing,
    noise=st.text(_ascii, max_size=80),
    event=st.one_of(st.sampled_from(EVENTS), st.text(_ascii, max_size=20), st.none()),
    delivery=st.one_of(st.uuids().map(str), st.text(_ascii, max_size=40), st.none()),
    extra=_extra_headers,
)
def test_github_endpoint_survives_anything(
    world: tuple[Engine, TestClient],
    body: bytes,
    mode: str,
    noise: str,
    event: str | None,
    delivery: str | None,
    extra: dict[str, str],
) -> None:
    engine, client = world
    headers = dict(extra)
    signature = _signature(mode, body, GITHUB_SECRET, noise)
    for name, value in {
        "X-Hub-Signature-256": signature,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
    }.items():
        if value is not None:
            headers[name] = value
    before, deliveries = _snapshot(engine), _deliveries(engine)
    answer = client.post("/webhooks/github", content=body, headers=headers)
    _check(engine, answer, mode, before, deliveries)


@FUZZ
@given(
    body=_bodies,
    mode=_signing,
    noise=st.text(_ascii, max_size=80),
    identifier=st.one_of(st.uuids().map(str), st.text(_ascii, max_size=40), st.none()),
    extra=_extra_headers,
)
def test_jira_endpoint_survives_anything(
    world: tuple[Engine, TestClient],
    body: bytes,
    mode: str,
    noise: str,
    identifier: str | None,
    extra: dict[str, str],
) -> None:
    engine, client = world
    headers = dict(extra)
    signature = _signature(mode, body, JIRA_SECRET, noise)
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    if identifier is not None:
        headers["X-Atlassian-Webhook-Identifier"] = identifier
    before, deliveries = _snapshot(engine), _deliveries(engine)
    answer = client.post("/webhooks/jira", content=body, headers=headers)
    _check(engine, answer, mode, before, deliveries)


def test_a_replayed_signature_on_another_body_is_refused(world: tuple[Engine, TestClient]) -> None:
    """A signature captured from one delivery does not authorise a different body."""
    engine, client = world
    first = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    replayed = sign(first, GITHUB_SECRET)
    forged = first.replace(b"awesome", b"awful")
    deliveries = _deliveries(engine)
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "replay-1"}
    answer = client.post(
        "/webhooks/github", content=forged, headers=headers | {"X-Hub-Signature-256": replayed}
    )
    assert answer.status_code == 401 and _deliveries(engine) == deliveries
    ok = client.post(
        "/webhooks/github", content=first, headers=headers | {"X-Hub-Signature-256": replayed}
    )
    again = client.post(
        "/webhooks/github", content=first, headers=headers | {"X-Hub-Signature-256": replayed}
    )
    assert ok.status_code in (200, 202) and again.json()["status"] == "duplicate"
