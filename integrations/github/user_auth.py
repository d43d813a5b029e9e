"""GitHub sign-in for the dashboard: the App's OAuth web flow, then the user's installations."""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github

from integrations.errors import TrackerRejected
from integrations.github.errors import translated


@dataclass(frozen=True)
class GitHubUser:
    """A signed-in GitHub user and the App installations they can see."""

    login: str
    installation_ids: frozenset[int]


def login_url(
    *, api_url: str, client_id: str, client_secret: str, redirect_uri: str, state: str
) -> str:
    """Where to send the browser so GitHub asks the user to authorise the App."""
    app = Github(base_url=api_url).get_oauth_application(client_id, client_secret)
    return app.get_login_url(redirect_uri=redirect_uri, state=state)


def user_from_code(*, api_url: str, client_id: str, client_secret: str, code: str) -> GitHubUser:
    """Trade the callback's code for a user token, then read the login and its installations."""
    app = Github(base_url=api_url).get_oauth_application(client_id, client_secret)
    with translated():
        token = app.get_access_token(code).token
        if not token:
            raise TrackerRejected("GitHub did not accept the sign-in code")
        user = Github(auth=Auth.Token(token), base_url=api_url, per_page=100).get_user()
        ids = frozenset(i.id for i in user.get_installations())
        return GitHubUser(login=user.login, installation_ids=ids)
