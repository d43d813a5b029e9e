"""`POST /webhooks/jira` with Jira's real payloads and headers, through the real app."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.main import create_app
from bot.settings import Settings
from control_catalog import load_bundled
from integrations.jira import JiraProjectConfig
from tests.conftest import NOW
from tests.fakes.jira.webhooks import post
from workflows.jira_setup import save_project
from workflows.models import (
    Delivery,
    DeliveryOutcome,
    ItemKind,
    OutboxItem,
    Release,
    StatusChange,
    TrackerItem,
    Workspace,
    WorkspaceState,
)
from workflows.releases import create_release
from workflows.status import ControlStatus
from workflows.tasks import get_task

SECRET = "jira-webhook-secret"
FIXTURES = Path(__file__).parent / "fixtures" / "jira"
BOT = "557058:0f6c5a3e-bot"
ADA = "712020:3f9c6a1e-5b0d-4c55-9a57-2d1f3c7b8e10"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return copy.deepcopy(data)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    settings = Settings(jira_webhook_secret=SecretStr(SECRET), max_webhook_bytes=200_000)
    with TestClient(create_app(settings, engine=engine)) as result:
        yield result


def _open(
    session: Session, project: str, name: str, version: str, items: dict[str, tuple[str, str]]
) -> Release:
    """A connected project and a release whose controls have the given Jira keys and ids."""
    deployment = "cloud" if project == "CTRL" else "datacenter"
    ids = [BOT] if project == "CTRL" else ["controlbot", "JIRAUSER10000"]
    config = JiraProjectConfig(project, deployment=deployment)
    workspace = save_project(
        session=session, name=f"site/{project}", config=config, ids=ids, now=NOW
    )
    release = create_release(
        session=session,
        workspace=workspace,
        catalog=load_bundled("gpai-profile@1.2"),
        name=name,
        version=version,
        actor="t",
        now=NOW,
    )
    assert release.id is not None
    for control_id, (key, ident) in items.items():
        task = get_task(session=session, release=release, control_id=control_id)
        kind = ItemKind.PARENT if control_id == "GV-1.1" else ItemKind.CONTROL
        session.add(
            TrackerItem(
                release_id=release.id,
                task_id=task.id if kind is ItemKind.CONTROL else None,
                tracker="jira",
                kind=kind,
                key=release.slug if kind is ItemKind.PARENT else task.key,
                external_id=key,
                internal_id=ident,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.commit()
    return release


@pytest.fixture
def cloud(session: Session) -> Release:
    """gpt-5 2026.1 in CTRL: GV-1.2 is CTRL-42, GV-1.3 CTRL-43, MS-2.7 CTRL-44, epic CTRL-41."""
    items = {
        "GV-1.1": ("CTRL-41", "10041"),
        "GV-1.2": ("CTRL-42", "10042"),
        "GV-1.3": ("CTRL-43", "10043"),
        "MS-2.7": ("CTRL-44", "10044"),
    }
    return _open(session, "CTRL", "gpt-5", "2026.1", items)


def _status(session: Session, release: Release, control_id: str) -> ControlStatus:
    session.expire_all()
    return get_task(session=session, release=release, control_id=control_id).status


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


# -- verification and bad input ---------------------------------------------------------------


def test_unsigned_and_forged_deliveries_get_401_and_store_nothing(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("issue_updated_status.json")
    unsigned = post(client, body, secret=SECRET, signature="")
    forged = post(client, body, secret="not-the-secret")
    assert (unsigned.status_code, unsigned.json()["detail"]) == (401, "missing signature")
    assert (forged.status_code, forged.json()["detail"]) == (401, "signature does not match")
    assert _count(session, Delivery) == 0
    assert _status(session, cloud, "GV-1.2") is ControlStatus.TODO


def test_without_a_configured_secret_nothing_is_accepted(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        answer = post(client, load("issue_updated_status.json"), secret=SECRET)
    assert answer.status_code == 401 and "not configured" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1]", "expected a JSON object"),
        (b"{}", "the payload has no webhookEvent"),
    ],
)
def test_malformed_json_is_400(client: TestClient, raw: bytes, detail: str) -> None:
    answer = post(client, raw, secret=SECRET)
    assert answer.status_code == 400 and answer.json()["detail"] == detail


def test_a_missing_identifier_is_400(client: TestClient, session: Session) -> None:
    answer = post(client, load("issue_updated_status.json"), secret=SECRET, identifier="")
    assert answer.status_code == 400 and "X-Atlassian-Webhook-Identifier" in answer.json()["detail"]
    assert _count(session, Delivery) == 0


def test_an_issue_payload_without_a_key_is_400_and_recorded(
    client: TestClient, session: Session
) -> None:
    body = load("issue_updated_status.json")
    del body["issue"]["key"]
    answer = post(client, body, secret=SECRET, identifier="bad-1")
    assert answer.status_code == 400 and "lacks `key`" in answer.json()["detail"]
    stored = session.exec(select(Delivery)).one()
    assert (stored.delivery_id, stored.outcome) == ("bad-1", DeliveryOutcome.FAILED)


def test_unknown_events_are_200_ignored_with_a_reason(client: TestClient) -> None:
    body = {"timestamp": 1796000000000, "webhookEvent": "jira:version_released", "version": {}}
    answer = post(client, body, secret=SECRET)
    assert answer.status_code == 200
    assert answer.json()["detail"] == "ignored: controlbot does not handle jira:version_released"


# -- jira:issue_updated -------------------------------------------------------------------------


def test_done_applies_once_and_a_retry_is_a_duplicate(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("issue_updated_status.json")
    first = post(client, body, secret=SECRET, identifier="hook-1")
    retry = post(client, body, secret=SECRET, identifier="hook-1", retry=1)
    assert first.status_code == 202 and "GV-1.2 -> done (CTRL-42)" in first.json()["detail"]
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate")
    assert _status(session, cloud, "GV-1.2") is ControlStatus.DONE
    (change,) = session.exec(select(StatusChange)).all()
    assert (change.actor, change.source.value, change.to_status) == (
        ADA,
        "webhook",
        ControlStatus.DONE,
    )


def test_a_late_older_event_changes_nothing(
    client: TestClient, session: Session, cloud: Release
) -> None:
    done = load("issue_updated_status.json")
    assert post(client, done, secret=SECRET).status_code == 202
    late = load("issue_updated_status.json")
    late["timestamp"] -= int(timedelta(minutes=20).total_seconds() * 1000)
    in_progress = done["issue"]["fields"]["parent"]["fields"]["status"]
    late["issue"]["fields"]["status"] = copy.deepcopy(in_progress)
    late["issue"]["fields"]["resolution"] = None
    answer = post(client, late, secret=SECRET)
    assert answer.status_code == 200 and "stale event for CTRL-42" in answer.json()["detail"]
    assert _status(session, cloud, "GV-1.2") is ControlStatus.DONE


def test_wont_do_is_not_applicable_with_the_resolution_as_justification(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("issue_updated_status.json")
    fields = body["issue"]["fields"]
    fields["status"].update(name="Won't Do", id="10003")
    fields["resolution"].update(name="Won't Do", id="10001")
    assert post(client, body, secret=SECRET).status_code == 202
    session.expire_all()
    task = get_task(session=session, release=cloud, control_id="GV-1.2")
    assert (task.status, task.justification) == (ControlStatus.NOT_APPLICABLE, "Won't Do")


def test_data_center_payloads_use_the_project_config(client: TestClient, session: Session) -> None:
    release = _open(session, "RISK", "llm-7b", "3.0", {"MP-4.1": ("RISK-803", "86228")})
    answer = post(client, load("issue_updated_status_dc.json"), secret=SECRET)
    assert answer.status_code == 202
    assert _status(session, release, "MP-4.1") is ControlStatus.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user": {"accountId": BOT}}, "caused by controlbot itself"),
        ({"issue": {"key": "CTRL-999"}}, "CTRL-999 is not a control item"),
        ({"issue": {"key": "CTRL-41"}}, "CTRL-41 is not a control item"),
        ({"issue": {"key": "OTHER-1"}}, "Jira project OTHER is not connected"),
    ],
)
def test_ignored_status_events_say_why(
    client: TestClient, session: Session, cloud: Release, change: dict[str, Any], reason: str
) -> None:
    body = load("issue_updated_status.json")
    for part, values in change.items():
        body[part].update(values)
    answer = post(client, body, secret=SECRET)
    assert answer.status_code == 200 and answer.json()["detail"] == f"ignored: {reason}"
    assert _status(session, cloud, "GV-1.2") is ControlStatus.TODO


def test_an_update_without_a_status_item_is_ignored(client: TestClient, cloud: Release) -> None:
    answer = post(client, load("issue_updated_no_status.json"), secret=SECRET)
    assert answer.json()["detail"] == "ignored: the status did not change"


def test_a_suspended_project_is_ignored(
    client: TestClient, session: Session, cloud: Release
) -> None:
    ws = session.get(Workspace, cloud.workspace_id)
    assert ws is not None
    ws.state = WorkspaceState.SUSPENDED
    session.add(ws)
    session.commit()
    answer = post(client, load("issue_updated_status.json"), secret=SECRET)
    assert answer.json()["detail"] == "ignored: site/CTRL is suspended"


# -- jira:issue_deleted and comment_created ------------------------------------------------------


def test_a_deleted_issue_is_recorded_on_its_item_and_the_task_stays(
    client: TestClient, session: Session, cloud: Release
) -> None:
    answer = post(client, load("issue_deleted.json"), secret=SECRET)
    assert answer.status_code == 202
    session.expire_all()
    item = session.exec(select(TrackerItem).where(TrackerItem.external_id == "CTRL-44")).one()
    assert item.last_error is not None and "deleted in Jira" in item.last_error
    assert _status(session, cloud, "MS-2.7") is ControlStatus.TODO


def test_a_command_comment_queues_the_command_job_for_jira(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("comment_created.json")
    body["comment"]["body"] = "Evidence is linked in Confluence.\n/controls done"
    answer = post(client, body, secret=SECRET)
    assert answer.status_code == 202 and answer.json()["detail"] == "/controls done queued"
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "command" and job.key == "command:jira:10310"
    assert {k: job.payload[k] for k in ("tracker", "name", "external_id", "author")} == {
        "tracker": "jira",
        "name": "done",
        "external_id": "CTRL-42",
        "author": ADA,
    }


def test_help_and_bad_commands_queue_a_reply(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("comment_created.json")
    body["comment"]["body"] = "/controls frobnicate"
    assert post(client, body, secret=SECRET).json()["detail"] == "help reply queued"
    job = session.exec(select(OutboxItem)).one()
    assert job.kind == "comment" and job.payload["external_id"] == "CTRL-42"
    assert job.payload["item_id"] is not None


@pytest.mark.parametrize(
    ("text", "author", "reason"),
    [
        ("Looks good to me.", ADA, "not a /controls command"),
        ("/controls done", BOT, "caused by controlbot itself"),
    ],
)
def test_plain_and_own_comments_are_ignored(
    client: TestClient, session: Session, cloud: Release, text: str, author: str, reason: str
) -> None:
    body = load("comment_created.json")
    body["comment"]["body"] = text
    body["comment"]["author"]["accountId"] = author
    answer = post(client, body, secret=SECRET)
    assert answer.json()["detail"] == f"ignored: {reason}"
    assert _count(session, OutboxItem) == 0


def test_a_comment_without_issue_is_found_by_the_issue_id_in_its_url(
    client: TestClient, session: Session, cloud: Release
) -> None:
    body = load("comment_created.json")
    del body["issue"]
    body["comment"]["body"] = "/controls done"
    assert post(client, body, secret=SECRET).status_code == 202
    job = session.exec(select(OutboxItem)).one()
    assert job.payload["external_id"] == "CTRL-42"
