"""A stateful fake Jira (Cloud or Data Center) that the real `jira` client talks to over HTTP."""

from .app import create_fake_jira_app
from .models import JiraHTTPError, StatusChange
from .state import FakeJira, jira_time

__all__ = ["FakeJira", "JiraHTTPError", "StatusChange", "create_fake_jira_app", "jira_time"]
