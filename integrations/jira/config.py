"""Per-project Jira settings and building a `jira.JIRA` client from explicit arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from jira import JIRA

from integrations.errors import TrackerAuthError, TrackerError
from integrations.jira.errors import translate
from integrations.jira.mapping import DEFAULT_NA_RESOLUTIONS
from integrations.tracker import WorkState

Deployment = Literal["cloud", "datacenter"]
BASE_LABEL = "controlbot"


@dataclass(frozen=True)
class JiraProjectConfig:
    """Where and how controls become Jira issues in one project."""

    project_key: str
    issue_type: str = "Task"
    epic_type: str = "Epic"
    labels: tuple[str, ...] = (BASE_LABEL,)
    components: tuple[str, ...] = ()
    # A target status name or a transition id per state; wins over the statusCategory rule.
    status_overrides: Mapping[WorkState, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    # Resolutions that mean "not applicable" (the first is used when a screen lists none).
    na_resolutions: tuple[str, ...] = DEFAULT_NA_RESOLUTIONS
    deployment: Deployment = "cloud"

    def __post_init__(self) -> None:
        """Always carry the `controlbot` label; freeze the overrides; refuse bad values."""
        if not self.project_key.strip():
            raise ValueError("project_key must not be empty")
        if self.deployment not in ("cloud", "datacenter"):
            raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {self.deployment!r}")
        labels = tuple(dict.fromkeys((BASE_LABEL, *self.labels)))
        if bad := [label for label in labels if not label or any(c.isspace() for c in label)]:
            raise ValueError(f"Jira labels cannot be empty or contain spaces: {bad}")
        overrides = {
            WorkState(state): str(target) for state, target in self.status_overrides.items()
        }
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "status_overrides", MappingProxyType(overrides))

    @property
    def is_cloud(self) -> bool:
        """Whether the project lives on Jira Cloud (else Data Center)."""
        return self.deployment == "cloud"


def connect(
    url: str,
    *,
    email: str | None = None,
    api_token: str | None = None,
    pat: str | None = None,
    timeout: float = 30.0,
    max_retries: int = 3,
) -> JIRA:
    """Build a REST v2 client: Cloud with email + API token, Data Center with a PAT."""
    cloud_auth = bool(email) and bool(api_token)
    if cloud_auth and pat:
        raise TrackerError("give either email + api_token (Cloud) or pat (Data Center), not both")
    if not cloud_auth and not pat:
        if email or api_token:
            raise TrackerAuthError("Jira Cloud needs both email and api_token")
        raise TrackerAuthError(
            "no Jira credentials: give email + api_token (Cloud) or pat (Data Center)"
        )
    options: dict[str, str | bool] = {"rest_api_version": "2", "check_update": False}
    # NOTE: the constructor calls `GET serverInfo`, so bad credentials fail here, as auth errors.
    with translate(f"connect to {url}"):
        if cloud_auth:
            assert email is not None and api_token is not None
            return JIRA(
                server=url,
                options=options,
                basic_auth=(email, api_token),
                timeout=timeout,
                max_retries=max_retries,
            )
        return JIRA(
            server=url, options=options, token_auth=pat, timeout=timeout, max_retries=max_retries
        )
