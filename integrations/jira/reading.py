"""Turn searched issue JSON into refs and remote states (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from integrations.jira.config import JiraProjectConfig
from integrations.jira.mapping import derive_state, parse_jira_time
from integrations.tracker import ItemRef, RemoteState, WorkState

STATE_FIELDS = ("status", "resolution", "updated", "labels")

ToRef = Callable[[Mapping[str, Any]], ItemRef]


def key_number(key: str) -> int:
    """The number of `PROJ-12`, for picking the oldest of duplicates."""
    tail = key.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def first_by_label(issues: Iterable[Mapping[str, Any]], labels: Iterable[str]) -> dict[str, Any]:
    """For each wanted label, the oldest issue carrying exactly that label."""
    wanted = set(labels)
    found: dict[str, Any] = {}
    for issue in issues:
        for label in (issue.get("fields") or {}).get("labels") or []:
            if label not in wanted:
                continue
            known = found.get(label)
            if known is None or key_number(issue["key"]) < key_number(known["key"]):
                found[label] = issue
    return found


def remote_state(
    issue: Mapping[str, Any], ref: ItemRef, config: JiraProjectConfig
) -> RemoteState | None:
    """The state an issue shows (None when its status category is unknown)."""
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    state = derive_state(
        category=(status.get("statusCategory") or {}).get("key"),
        resolution=(fields.get("resolution") or {}).get("name"),
        na_resolutions=config.na_resolutions,
        status_name=status.get("name"),
        status_overrides=config.status_overrides,
    )
    if state is None or not fields.get("updated"):
        return None
    # The resolution explains "not applicable" (it becomes the justification); else the status.
    resolution = (fields.get("resolution") or {}).get("name")
    note = resolution if state is WorkState.NOT_APPLICABLE and resolution else status.get("name")
    return RemoteState(ref, state, parse_jira_time(str(fields["updated"])), note=note)


def states_for_refs(
    issues: Iterable[Mapping[str, Any]], refs: Iterable[ItemRef], config: JiraProjectConfig
) -> list[RemoteState]:
    """States in the order of `refs`, matching by key, then by id (a moved issue's key changes)."""
    by_key = {str(i["key"]).upper(): i for i in issues}
    by_id = {str(i.get("id")): i for i in by_key.values()}
    result: list[RemoteState] = []
    for ref in refs:
        issue = by_key.get(ref.external_id.upper()) or by_id.get(str(ref.internal_id))
        if issue is not None and (state := remote_state(issue, ref, config)):
            result.append(state)
    return result
