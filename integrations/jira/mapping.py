"""Pure mappings between our values and Jira's: key labels, states, timestamps, JQL strings.

Key label encoding: `controlbot:` followed by the item key percent-encoded (RFC 3986 style via
`urllib.parse.quote` with `:` kept), so `gpt-5:GV-1.2` becomes `controlbot:gpt-5:GV-1.2` and
`my release:MP 4.1` becomes `controlbot:my%20release:MP%204.1`. Only letters, digits and
`-_.~:%` survive, so the label never holds a space or a JQL quote, and decoding with `unquote`
gives back the exact key (`%` itself is encoded). JQL may match labels case-insensitively, so
lookups compare the exact label of each hit before trusting it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from integrations.tracker import WorkState

KEY_LABEL_PREFIX = "controlbot:"
DEFAULT_NA_RESOLUTIONS = ("Won't Do", "Won't Fix")
MAX_LABEL = 255
CATEGORY_OF: Mapping[WorkState, str] = {
    WorkState.TODO: "new",
    WorkState.IN_PROGRESS: "indeterminate",
    WorkState.BLOCKED: "indeterminate",
    WorkState.DONE: "done",
    WorkState.NOT_APPLICABLE: "done",
}
_SPACES = re.compile(r"\s+")


def key_label(key: str) -> str:
    """The label that carries an item key (ValueError when Jira's 255-character cap is hit)."""
    if not key:
        raise ValueError("an item key must not be empty")
    label = KEY_LABEL_PREFIX + quote(key, safe=":")
    if len(label) > MAX_LABEL:
        raise ValueError(f"key {key!r} is too long for a Jira label ({len(label)} > {MAX_LABEL})")
    return label


def key_from_labels(labels: Iterable[str]) -> str | None:
    """The item key carried by the first key label among `labels`, if any."""
    for label in labels:
        if label.startswith(KEY_LABEL_PREFIX) and len(label) > len(KEY_LABEL_PREFIX):
            return unquote(label[len(KEY_LABEL_PREFIX) :])
    return None


def clean_label(label: str) -> str:
    """A caller's label made acceptable to Jira: runs of whitespace become `-`."""
    return _SPACES.sub("-", label.strip())[:MAX_LABEL]


def jql_string(value: str) -> str:
    """A JQL string literal in double quotes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def one_line(text: str, limit: int = 255) -> str:
    """A summary Jira accepts: one line, at most `limit` characters."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_jira_time(value: str) -> datetime:
    """An aware UTC datetime from Jira's `2026-11-22T10:00:00.000+0000` (or ISO with `Z`)."""
    text = value.strip().replace("Z", "+00:00")
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern).astimezone(UTC)
        except ValueError:
            continue
    return datetime.fromisoformat(text).astimezone(UTC)


def is_na_resolution(resolution: str | None, na_resolutions: Iterable[str]) -> bool:
    """Whether a resolution name means "not applicable" (case-insensitive)."""
    if not resolution:
        return False
    return resolution.casefold() in {name.casefold() for name in na_resolutions}


def derive_state(
    *,
    category: str | None,
    resolution: str | None,
    na_resolutions: Iterable[str],
    status_name: str | None = None,
    status_overrides: Mapping[WorkState, str] | None = None,
) -> WorkState | None:
    """Map a status to our state: an override naming it wins, else category and resolution."""
    # new -> todo, indeterminate -> in_progress, done -> not_applicable when the resolution is
    # an N/A one, else done; an unknown category (e.g. `undefined`) gives None.
    if status_name and status_overrides:
        for state, target in status_overrides.items():
            if target.casefold() == status_name.casefold():
                return state
    if category == "new":
        return WorkState.TODO
    if category == "indeterminate":
        return WorkState.IN_PROGRESS
    if category == "done":
        if is_na_resolution(resolution, na_resolutions):
            return WorkState.NOT_APPLICABLE
        return WorkState.DONE
    return None
