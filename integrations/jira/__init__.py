"""The Jira adapter: `JiraTracker` over a ready `jira.JIRA` client, and pure webhook parsing."""

from integrations.jira.config import JiraProjectConfig, connect
from integrations.jira.creating import BulkRejected
from integrations.jira.events import (
    JiraCommentCreated,
    JiraEvent,
    JiraIssueChanged,
    JiraIssueDeleted,
    MalformedJiraEvent,
    StatusChange,
    parse_jira_event,
)
from integrations.jira.mapping import key_from_labels, key_label
from integrations.jira.tracker import JiraTracker

__all__ = [
    "BulkRejected",
    "JiraCommentCreated",
    "JiraEvent",
    "JiraIssueChanged",
    "JiraIssueDeleted",
    "JiraProjectConfig",
    "JiraTracker",
    "MalformedJiraEvent",
    "StatusChange",
    "connect",
    "key_from_labels",
    "key_label",
    "parse_jira_event",
]
