"""Build the tracker for a workspace from settings: GitHub App installations and Jira projects.

Clients and write pacers are kept per installation, so tokens are reused until they near
expiry and writes to one installation stay paced across jobs.
"""

from __future__ import annotations

import threading
import time

from github import Github
from jira import JIRA

from bot.credentials import CredentialsError, GitHubAppConfig, github_app_config
from bot.settings import Settings
from integrations import Tracker, TrackerAuthError
from integrations.github.client import app_integration, installation_client, read_only_retry
from integrations.github.errors import translated
from integrations.github.pacing import WritePacer
from integrations.github.tracker import GitHubTracker
from integrations.jira import JiraProjectConfig, JiraTracker, connect
from integrations.jira.config import Deployment
from workflows.errors import WorkflowError
from workflows.jira_setup import RELEASE_CONFIG_TEXT, project_config
from workflows.models import Workspace, WorkspaceKind


class TrackerRegistry:
    """Hands out the tracker of a workspace; thread-safe, one client per installation."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[int, Github] = {}
        self._pacers: dict[int, WritePacer] = {}
        self._lock = threading.Lock()
        self._jira: JIRA | None = None
        self._jira_trackers: dict[JiraProjectConfig, JiraTracker] = {}

    def for_workspace(self, workspace: Workspace) -> Tracker:
        """The tracker where this workspace's items live."""
        if workspace.kind is WorkspaceKind.GITHUB:
            return self._github(workspace)
        if workspace.kind is WorkspaceKind.JIRA:
            return self.jira_tracker(project_config(workspace))
        raise WorkflowError(f"workspace {workspace.name} ({workspace.kind.value}) has no tracker")

    def installation_for(self, repo: str) -> int:
        """Ask GitHub which installation of the App covers this repository."""
        app = self._app()
        owner, name = repo.split("/", 1)
        with translated():
            integration = app_integration(app.app_id, app.private_key_pem, base_url=app.api_url)
            return int(integration.get_repo_installation(owner, name).id)

    def _app(self) -> GitHubAppConfig:
        """The App's id, key and API URL (env, else the setup's file), or a clear error."""
        try:
            config = github_app_config(self._settings)
        except CredentialsError as exc:
            raise TrackerAuthError(str(exc)) from None
        if config is None:
            raise TrackerAuthError("the GitHub App is not configured: run the setup at /setup")
        return config

    def _github(self, workspace: Workspace) -> GitHubTracker:
        if not workspace.external_id:
            raise WorkflowError(f"{workspace.name} has no GitHub App installation")
        installation = int(workspace.external_id)
        with self._lock:
            client = self._clients.get(installation) or self._new_client(installation)
            self._clients[installation] = client
            pacer = self._pacers.setdefault(installation, self._new_pacer())
        login = f"{self._app().slug}[bot]"
        return GitHubTracker(client, workspace.name, pacer=pacer, app_login=login)

    def _new_client(self, installation: int) -> Github:
        app = self._app()
        return installation_client(
            app.app_id,
            app.private_key_pem,
            installation,
            base_url=app.api_url,
            retry=read_only_retry(),
        )

    def _new_pacer(self) -> WritePacer:
        return WritePacer(
            min_interval=self._settings.github_write_interval,
            hourly_budget=self._settings.github_hourly_write_budget,
            clock=time.monotonic,
            sleep=time.sleep,
        )

    def jira_tracker(self, config: JiraProjectConfig) -> JiraTracker:
        """The tracker of one Jira project (kept per config: metadata and epics are cached)."""
        client = self.jira_client()
        with self._lock:
            tracker = self._jira_trackers.get(config)
            if tracker is None:
                tracker = JiraTracker(
                    client,
                    config,
                    release_page=self._settings.public_url,
                    release_config=RELEASE_CONFIG_TEXT,
                )
                self._jira_trackers[config] = tracker
        return tracker

    def jira_client(self) -> JIRA:
        """The site's client, connected once (`GET serverInfo`) from CONTROLBOT_JIRA_* settings."""
        with self._lock:
            if self._jira is None:
                self._jira = self._connect_jira()
            return self._jira

    def jira_deployment(self) -> Deployment:
        """Data Center when a PAT is configured, else Cloud."""
        return "datacenter" if self._settings.jira_pat is not None else "cloud"

    def _connect_jira(self) -> JIRA:
        """A client with Cloud (email + API token) or Data Center (PAT) credentials."""
        s = self._settings
        if not s.jira_url:
            raise TrackerAuthError("Jira is not configured: set CONTROLBOT_JIRA_URL")
        return connect(
            s.jira_url,
            email=s.jira_email if s.jira_api_token else None,
            api_token=s.jira_api_token.get_secret_value() if s.jira_api_token else None,
            pat=s.jira_pat.get_secret_value() if s.jira_pat else None,
            timeout=s.jira_timeout,
            max_retries=s.jira_max_retries,
        )
