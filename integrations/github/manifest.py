"""The App-manifest flow's last step: trade the one-time code for the new App's credentials.

PyGithub has no call for it, so it is plain HTTP: `POST {base}/app-manifests/{code}/conversions`,
no auth, answered 201 with the App and its secrets (api-contracts §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from integrations.errors import TrackerRejected, TrackerUnavailable

ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
EXPIRED = "the setup code expired or was already used"


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub returns for a new App; `repr` hides the key and the secrets."""

    id: int
    slug: str
    pem: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    html_url: str


def _credentials(data: Any) -> AppCredentials:
    """Parse the 201 body; a body without the expected fields is a rejection, not a crash."""
    try:
        return AppCredentials(
            id=int(data["id"]),
            slug=str(data["slug"]),
            pem=str(data["pem"]),
            webhook_secret=str(data.get("webhook_secret") or ""),
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
            html_url=str(data["html_url"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TrackerRejected(f"GitHub's manifest answer lacks a field: {exc}") from exc


def convert_manifest_code(code: str, *, base_url: str, timeout: float = 15) -> AppCredentials:
    """Exchange the code from the manifest redirect for the App's id, key and secrets."""
    url = f"{base_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    headers = {"Accept": ACCEPT, "X-GitHub-Api-Version": API_VERSION}
    try:
        response = requests.post(url, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise TrackerUnavailable(f"GitHub did not answer the manifest conversion: {exc}") from exc
    if response.status_code in (404, 422):
        raise TrackerRejected(EXPIRED)
    if response.status_code >= 500:
        raise TrackerUnavailable(f"GitHub failed the manifest conversion ({response.status_code})")
    if response.status_code != 201:
        raise TrackerRejected(f"GitHub refused the manifest conversion ({response.status_code})")
    try:
        data = response.json()
    except ValueError as exc:
        raise TrackerUnavailable("GitHub answered the manifest conversion with non-JSON") from exc
    return _credentials(data)
