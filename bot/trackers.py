"""Build the tracker for a workspace from settings: GitHub App installations (Jira to follow).

Clients and write pacers are kept per installation, so tokens are reused until they near
expiry and writes to one installation stay paced across jobs.
"""

from __future__ import annotations

import threading
import time

from github import Github

from bot.settings import Settings
from integrations import Tracker, TrackerAuthError
from integrations.github.client import app_integration, installation_client, read_only_retry
from integrations.github.errors import translated
from integrations.github.pacing import WritePacer
from integrations.github.tracker import GitHubTracker
from workflows.errors import WorkflowError
from workflows.models import Workspace, WorkspaceKind


class TrackerRegistry:
    """Hands out the tracker of a workspace; thread-safe, one client per installation."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[int, Github] = {}
        self._pacers: dict[int, WritePacer] = {}
        self._lock = threading.Lock()

    def for_workspace(self, workspace: Workspace) -> Tracker:
        """The tracker where this workspace's items live."""
        if workspace.kind is WorkspaceKind.GITHUB:
            return self._github(workspace)
        raise WorkflowError(f"workspace {workspace.name} ({workspace.kind.value}) has no tracker")

    def installation_for(self, repo: str) -> int:
        """Ask GitHub which installation of the App covers this repository."""
        app_id, key = self._app_credentials()
        owner, name = repo.split("/", 1)
        with translated():
            integration = app_integration(app_id, key, base_url=self._settings.github_api_url)
            return int(integration.get_repo_installation(owner, name).id)

    def _app_credentials(self) -> tuple[int, str]:
        """The App id and private key, or a clear error when the App is not set up."""
        key = self._settings.github_private_key_pem()
        if self._settings.github_app_id is None or key is None:
            raise TrackerAuthError("the GitHub App is not configured: run the setup at /setup")
        return self._settings.github_app_id, key

    def _github(self, workspace: Workspace) -> GitHubTracker:
        if not workspace.external_id:
            raise WorkflowError(f"{workspace.name} has no GitHub App installation")
        installation = int(workspace.external_id)
        with self._lock:
            client = self._clients.get(installation) or self._new_client(installation)
            self._clients[installation] = client
            pacer = self._pacers.setdefault(installation, self._new_pacer())
        login = f"{self._settings.github_app_slug}[bot]"
        return GitHubTracker(client, workspace.name, pacer=pacer, app_login=login)

    def _new_client(self, installation: int) -> Github:
        app_id, key = self._app_credentials()
        return installation_client(
            app_id,
            key,
            installation,
            base_url=self._settings.github_api_url,
            retry=read_only_retry(),
        )

    def _new_pacer(self) -> WritePacer:
        return WritePacer(
            min_interval=self._settings.github_write_interval,
            hourly_budget=self._settings.github_hourly_write_budget,
            clock=time.monotonic,
            sleep=time.sleep,
        )
