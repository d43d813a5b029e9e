"""Bulk creation in batches of at most 50, retrying only the elements Jira refused, once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.errors import TrackerRejected, TrackerUnavailable
from integrations.jira.api import JiraApi
from integrations.tracker import EnsureResult, ItemRef, ItemSpec, OnEnsured

BULK_LIMIT = 50  # Jira Cloud's documented cap; the library breaks on the 400 for more

BuildFields = Callable[[ItemSpec], dict[str, Any]]
ToRef = Callable[[Mapping[str, Any]], ItemRef]


class BulkRejected(TrackerRejected):
    """Jira refused some bulk elements twice; `reasons` maps each item key to Jira's reason."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        shown = "; ".join(f"{key}: {why}" for key, why in list(reasons.items())[:3])
        more = len(reasons) - 3
        tail = f" (and {more} more)" if more > 0 else ""
        message = f"Jira refused {len(reasons)} item(s) twice: {shown}{tail}"
        super().__init__(message, reasons=reasons)


@dataclass(frozen=True)
class Failure:
    """One element Jira refused, with its reasons."""

    spec: ItemSpec
    reason: str


def element_reason(error: Mapping[str, Any]) -> str:
    """Jira's reasons for one failed bulk element: messages and `field: message` pairs."""
    details = error.get("elementErrors") or {}
    messages = [str(m) for m in details.get("errorMessages") or []]
    messages += [f"{field}: {msg}" for field, msg in (details.get("errors") or {}).items()]
    return "; ".join(messages) or f"status {error.get('status', '?')}"


def create_batches(
    api: JiraApi,
    specs: Sequence[ItemSpec],
    *,
    build: BuildFields,
    to_ref: ToRef,
    on_ensured: OnEnsured,
) -> list[Failure]:
    """Create `specs` with `POST issue/bulk`, 50 at a time; report successes, return failures."""
    failures: list[Failure] = []
    for start in range(0, len(specs), BULK_LIMIT):
        batch = specs[start : start + BULK_LIMIT]
        answer = api.post_bulk([{"fields": build(spec)} for spec in batch])
        refused = {
            int(error["failedElementNumber"]): element_reason(error)
            for error in answer.get("errors") or []
            if "failedElementNumber" in error
        }
        created = iter(answer.get("issues") or [])
        for number, spec in enumerate(batch):
            if number in refused:
                failures.append(Failure(spec, refused[number]))
                continue
            raw = next(created, None)
            if raw is None:
                raise TrackerUnavailable("Jira's bulk answer lists fewer issues than it created")
            on_ensured(EnsureResult(spec, to_ref(raw), created=True))
    return failures


def create_all(
    api: JiraApi,
    specs: Sequence[ItemSpec],
    *,
    build: BuildFields,
    to_ref: ToRef,
    on_ensured: OnEnsured,
) -> None:
    """Create `specs`; retry the refused ones in one more round, then raise BulkRejected."""
    failures = create_batches(api, specs, build=build, to_ref=to_ref, on_ensured=on_ensured)
    if failures:
        retry = [failure.spec for failure in failures]
        failures = create_batches(api, retry, build=build, to_ref=to_ref, on_ensured=on_ensured)
    if failures:
        raise BulkRejected({f.spec.key: f.reason for f in failures})
