"""Webhook handlers, one module per event family; `github_router` and `jira_router` compose them."""

from bot.handlers import (
    github_checks,
    github_comments,
    github_installation,
    github_issues,
    jira_events,
)
from bot.routing import Router

github_router = Router(
    github_issues.router,
    github_comments.router,
    github_installation.router,
    github_checks.router,
)

jira_router = Router(jira_events.router)

# Sent to every GitHub App whatever it subscribes to; not listed in the manifest.
AUTOMATIC_EVENTS = frozenset({"ping", "installation", "installation_repositories"})
