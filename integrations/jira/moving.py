"""Move an issue to a wanted state through its workflow's transitions (I/O around the choice)."""

from __future__ import annotations

from typing import Any

from integrations.errors import TrackerRejected
from integrations.jira.api import JiraApi
from integrations.jira.config import JiraProjectConfig
from integrations.jira.mapping import derive_state
from integrations.jira.transitions import STEP_BEFORE, Move, TransitionOption, choose_move
from integrations.tracker import WorkState


def current_state(
    api: JiraApi, key: str, config: JiraProjectConfig
) -> tuple[str, WorkState | None]:
    """The issue's status name and the state it shows now."""
    issue = api.get(f"issue/{key}", {"fields": "status,resolution"})
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    state = derive_state(
        category=(status.get("statusCategory") or {}).get("key"),
        resolution=(fields.get("resolution") or {}).get("name"),
        na_resolutions=config.na_resolutions,
        status_name=status.get("name"),
        status_overrides=config.status_overrides,
    )
    return str(status.get("name") or "?"), state


def offered(api: JiraApi, key: str) -> list[TransitionOption]:
    """Transitions available now, with their screens' resolution values."""
    raw = api.get(f"issue/{key}/transitions", {"expand": "transitions.fields"})
    return [TransitionOption.from_json(t) for t in raw.get("transitions") or []]


def perform(api: JiraApi, key: str, move: Move, note: str | None) -> None:
    """POST the transition, with its resolution and the note as a comment in the same call."""
    body: dict[str, Any] = {"transition": {"id": move.transition.id}}
    if move.resolution:
        body["fields"] = {"resolution": {"name": move.resolution}}
    if note:
        body["update"] = {"comment": [{"add": {"body": note}}]}
    api.post(f"issue/{key}/transitions", body)


def _rejected(
    key: str, wanted: WorkState, status: str, options: list[TransitionOption]
) -> Exception:
    """TrackerRejected naming what the workflow offers."""
    shown = ", ".join(o.describe() for o in options) or "none"
    return TrackerRejected(
        f"{key}: no transition to {wanted.value} from status {status!r}; available: {shown}"
    )


def move_to(
    api: JiraApi, config: JiraProjectConfig, key: str, wanted: WorkState, note: str | None
) -> bool:
    """Make `key` show `wanted`; False (and nothing written) when it already does."""
    # One transition when the workflow offers a fitting one; otherwise one step through the usual
    # predecessor (to do -> in progress -> done, done -> to do -> in progress), then the move.
    status, state = current_state(api, key, config)
    if state is wanted:
        return False

    def pick(options: list[TransitionOption], target: WorkState) -> Move | None:
        """The move to `target` under this project's rules."""
        return choose_move(
            options,
            target,
            na_resolutions=config.na_resolutions,
            overrides=config.status_overrides,
        )

    options = offered(api, key)
    move = pick(options, wanted)
    if move is None:
        step = STEP_BEFORE.get(wanted)
        via = pick(options, step) if step and step is not state else None
        if via is None:
            raise _rejected(key, wanted, status, options)
        perform(api, key, via, None)
        options = offered(api, key)
        move = pick(options, wanted)
        if move is None:
            raise _rejected(key, wanted, via.transition.to_name, options)
    perform(api, key, move, note)
    return True
