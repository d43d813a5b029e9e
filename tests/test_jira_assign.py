"""`/controls assign` from real-shaped Jira comment payloads: webhook body to command (pure).

REST v2 webhooks carry the comment body as wiki markup, where a mention is `[~accountid:ID]` on
Cloud and `[~username]` on Data Center; a REST v3 (ADF) body has a `mention` node instead. The
adapter against the fake Jira is in test_jira_tracker.py and the whole flow in test_e2e_jira.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Command, CommandError, CommandName, Dialect, parse_command
from integrations.jira import JiraCommentCreated, parse_jira_event

FIXTURE = Path(__file__).parent / "fixtures" / "jira" / "comment_created.json"
GRACE = "712020:9d2b7c4e-1f3a-4b6c-8e5d-0a1b2c3d4e5f"


def payload(body: Any, *, dc: bool = False) -> dict[str, Any]:
    """The Cloud fixture with another comment body; `dc` swaps in Data Center user objects."""
    data: dict[str, Any] = copy.deepcopy(json.loads(FIXTURE.read_text()))
    data["comment"]["body"] = body
    if dc:
        author = {"name": "ada", "key": "JIRAUSER10100", "displayName": "Ada Reviewer"}
        data["comment"]["author"] = data["comment"]["updateAuthor"] = author
    return data


def command(data: dict[str, Any], dialect: Dialect) -> Command | CommandError | None:
    """What the Jira comment handler parses out of a delivery."""
    event = parse_jira_event(data)
    assert isinstance(event, JiraCommentCreated)
    return parse_command(event.body, dialect=dialect)


def test_cloud_wiki_markup_mention() -> None:
    body = f"Grace owns the register now.\n/controls assign [~accountid:{GRACE}]"
    assert command(payload(body), "jira-cloud") == Command(CommandName.ASSIGN, user=GRACE)


def test_cloud_adf_mention_reads_as_wiki_markup() -> None:
    mention = {"type": "mention", "attrs": {"id": GRACE, "text": "@Grace Owner"}}
    text = {"type": "text", "text": "/controls assign "}
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [text, mention]}],
    }
    assert command(payload(adf), "jira-cloud") == Command(CommandName.ASSIGN, user=GRACE)


def test_data_center_mention_on_the_release_epic() -> None:
    data = payload("/controls assign gv-1.2 [~gwen.o]", dc=True)
    expected = Command(CommandName.ASSIGN, control_id="GV-1.2", user="gwen.o")
    assert command(data, "jira-dc") == expected


@pytest.mark.parametrize(
    ("body", "dialect"),
    [
        ("/controls assign @grace", "jira-cloud"),
        ("/controls assign [~gwen.o]", "jira-cloud"),
        (f"/controls assign [~accountid:{GRACE}]", "jira-dc"),
    ],
)
def test_the_other_kinds_of_user_are_refused(body: str, dialect: Dialect) -> None:
    result = command(payload(body), dialect)
    assert isinstance(result, CommandError) and "is not a Jira" in result.message
