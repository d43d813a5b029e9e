"""JSON calls through the `jira` client's own session (REST v2), with errors translated.

The library's helpers cost extra requests or misbehave here (see api-contracts.md section 4), so
the adapter speaks REST directly over `client._session`, which keeps auth, timeout and retries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jira import JIRA, JIRAError
from requests import Response

from integrations.errors import TrackerRejected
from integrations.jira.errors import translate
from integrations.jira.mapping import jql_string

SEARCH_PAGE = 100
KEY_CHUNK = 50
MISSING_KEY = re.compile(r"[Ii]ssue (?:with )?key '([^']+)'")

Json = dict[str, Any]


class JiraApi:
    """Thin REST calls on one Jira site; Cloud and Data Center differ only in search."""

    def __init__(self, client: JIRA, *, cloud: bool) -> None:
        """Wrap a ready client; `cloud` picks the search API."""
        self.client = client
        self.cloud = cloud

    @property
    def base_url(self) -> str:
        """The site's base URL, without a trailing slash."""
        return self.client.server_url.rstrip("/")

    def browse_url(self, key: str) -> str:
        """The human URL of an issue."""
        return f"{self.base_url}/browse/{key}"

    def _url(self, path: str) -> str:
        """The REST URL of `path` under the client's API version."""
        return self.client._get_url(path)

    @staticmethod
    def _json(response: Response) -> Any:
        """The JSON body, `{}` for an empty one (204)."""
        return response.json() if response.content else {}

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and return its JSON."""
        with translate(f"GET {path}"):
            return self._json(self.client._session.get(self._url(path), params=params))

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST a JSON body to `path` and return the JSON answer."""
        with translate(f"POST {path}"):
            response = self.client._session.post(self._url(path), data=json.dumps(body))
            return self._json(response)

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        """PUT a JSON body to `path` and return the JSON answer (`{}` for a 204)."""
        with translate(f"PUT {path}"):
            response = self.client._session.put(self._url(path), data=json.dumps(body))
            return self._json(response)

    def post_bulk(self, updates: Sequence[Mapping[str, Any]]) -> Json:
        """POST issue/bulk; a 400 that reports per-element errors is returned, not raised."""
        with translate("POST issue/bulk"):
            try:
                response = self.client._session.post(
                    self._url("issue/bulk"), data=json.dumps({"issueUpdates": list(updates)})
                )
            except JIRAError as exc:
                body = _error_body(exc)
                if exc.status_code == 400 and isinstance(body.get("errors"), list):
                    return {"issues": body.get("issues") or [], "errors": body["errors"]}
                raise
            result: Json = self._json(response)
            return result

    def search(self, jql: str, fields: Sequence[str]) -> list[Json]:
        """Every issue matching `jql`: Cloud pages by token, Data Center by startAt."""
        return self._search_cloud(jql, fields) if self.cloud else self._search_dc(jql, fields)

    def _search_cloud(self, jql: str, fields: Sequence[str]) -> list[Json]:
        """Follow `nextPageToken` until `isLast`."""
        issues: list[Json] = []
        token: str | None = None
        while True:
            body: Json = {"jql": jql, "fields": list(fields), "maxResults": SEARCH_PAGE}
            if token:
                body["nextPageToken"] = token
            page = self.post("search/jql", body)
            batch = page.get("issues") or []
            issues += batch
            token = page.get("nextPageToken")
            if not batch or not token or page.get("isLast"):
                return issues

    def _search_dc(self, jql: str, fields: Sequence[str]) -> list[Json]:
        """Page by `startAt` until `total` is reached."""
        issues: list[Json] = []
        while True:
            body = {
                "jql": jql,
                "startAt": len(issues),
                "maxResults": SEARCH_PAGE,
                "fields": list(fields),
            }
            page = self.post("search", body)
            batch = page.get("issues") or []
            issues += batch
            if not batch or len(issues) >= int(page.get("total") or 0):
                return issues

    def search_keys(self, keys: Sequence[str], fields: Sequence[str]) -> list[Json]:
        """Issues by key in chunks of 50; keys Jira says do not exist are dropped, not fatal."""
        found: list[Json] = []
        for start in range(0, len(keys), KEY_CHUNK):
            remaining = list(dict.fromkeys(keys[start : start + KEY_CHUNK]))
            while remaining:
                try:
                    jql = f"key in ({', '.join(jql_string(k) for k in remaining)})"
                    found += self.search(jql, fields)
                    break
                except TrackerRejected as exc:
                    missing = set(MISSING_KEY.findall(str(exc))) & set(remaining)
                    if not missing:
                        raise
                    remaining = [k for k in remaining if k not in missing]
        return found


def _error_body(exc: JIRAError) -> Json:
    """The JSON object of a failed response, or `{}`."""
    try:
        body = json.loads(exc.response.text) if exc.response is not None else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
