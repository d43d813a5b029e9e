"""Repository config (`.github/controlbot.yml`): parse, validate, and keep what is valid (pure).

A bad key is reported (file, key, reason) and replaced by its default, so one typo never stops
a release from opening; the problems are shown on the tracker and the gate.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from control_catalog import Function, Kind, Priority, parse_cadence
from workflows.planning import DEFAULT_DUE_OFFSETS, Selection
from workflows.review_schedule import Anchor, LateRule

CONFIG_PATH = ".github/controlbot.yml"


class Granularity(StrEnum):
    """Which controls get their own issue besides their checklist line."""

    CHECKLIST = "checklist"  # none: the parent's checklist only
    HIGH = "high"  # high-priority controls (the default)
    CONTROL = "control"  # every control


class GateRequirement(StrEnum):
    """Which controls must be closed for the release gate to pass."""

    ALL = "all"
    HIGH = "high"


class SelectionConfig(BaseModel):
    """Which controls a release takes (same meaning as the CLI's options)."""

    model_config = ConfigDict(extra="forbid")

    priority: Priority | None = None
    functions: list[Function] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    def to_selection(self) -> Selection:
        """The planner's Selection."""
        return Selection(
            priority=self.priority,
            functions=frozenset(self.functions),
            kinds=frozenset(self.kinds),
            include=frozenset(self.include),
            exclude=frozenset(self.exclude),
        )


class GateConfig(BaseModel):
    """The release gate's rules."""

    model_config = ConfigDict(extra="forbid")

    required: GateRequirement = GateRequirement.ALL
    release_branch: str | None = None


class Weekday(StrEnum):
    """A day of the week, as written in config."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class ReminderConfig(BaseModel):
    """When and how people are reminded of due and overdue controls."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    lead: int = Field(default=3, ge=0, le=30)
    escalate_after: int = Field(default=2, ge=1, le=20)
    escalate_to: list[str] = Field(default_factory=list)
    backoff_days: int = Field(default=1, ge=1, le=30)
    max_reminders: int = Field(default=5, ge=1, le=20)
    quiet_days: list[Weekday] = Field(default_factory=lambda: [Weekday.SAT, Weekday.SUN])
    timezone: str = "UTC"

    @field_validator("quiet_days")
    @classmethod
    def _some_day_is_working(cls, value: list[Weekday]) -> list[Weekday]:
        if len(set(value)) >= len(Weekday):
            raise ValueError("every day is quiet; leave at least one working day")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
    return value


class ReviewConfig(BaseModel):
    """Recurring reviews: which controls, on what cadence, anchored how, and what lateness does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    controls: list[str] = Field(default_factory=list)  # reviewed besides the catalog's recurring
    cadences: dict[str, str] = Field(default_factory=dict)  # control id -> cadence override
    anchor: Anchor = Anchor.CALENDAR
    late: LateRule = LateRule.KEEP_SCHEDULE
    timezone: str | None = None  # None: the reminders' time zone

    @field_validator("controls")
    @classmethod
    def _upper_ids(cls, value: list[str]) -> list[str]:
        return [v.strip().upper() for v in value]

    @field_validator("cadences")
    @classmethod
    def _cadences_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            try:
                parse_cadence(text)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return {k.strip().upper(): v for k, v in value.items()}

    @field_validator("timezone")
    @classmethod
    def _zone_is_known(cls, value: str | None) -> str | None:
        return None if value is None else _known_zone(value)


class RepoConfig(BaseModel):
    """Everything `.github/controlbot.yml` can set, with the defaults a new install gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog: str = "gpai-profile@1.2"
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    granularity: Granularity = Granularity.HIGH
    labels: list[str] = Field(default_factory=list)
    assignees: dict[Function, list[str]] = Field(default_factory=dict)
    due_offsets: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_DUE_OFFSETS))
    open_on_release: bool = False
    include_prereleases: bool = False
    gate: GateConfig = Field(default_factory=GateConfig)
    reminders: ReminderConfig = Field(default_factory=ReminderConfig)
    reviews: ReviewConfig = Field(default_factory=ReviewConfig)

    @field_validator("due_offsets")
    @classmethod
    def _offsets_are_sane(cls, value: dict[str, int]) -> dict[str, int]:
        for key, days in value.items():
            if not -365 <= days <= 365:
                raise ValueError(f"{key}: {days} days is outside -365..365")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_fit(cls, value: list[str]) -> list[str]:
        for label in value:
            if not label.strip() or len(label) > 50:
                raise ValueError(f"label {label!r} must be 1-50 characters")
        return value


def parse_repo_config(
    text: str | None, *, source: str = CONFIG_PATH
) -> tuple[RepoConfig, list[str]]:
    """The config to use and the problems found; no file means the defaults and no problems."""
    if text is None or not text.strip():
        return RepoConfig(), []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        return RepoConfig(), [f"{source}:{where} not valid YAML; using the defaults"]
    if not isinstance(data, dict):
        return RepoConfig(), [f"{source}: expected a mapping of settings; using the defaults"]
    data, problems = _drop_bad_cadences(data, source)
    config, more = _validate_keeping_good_keys(data, source)
    return config, problems + more


def _drop_bad_cadences(data: dict[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """Refuse each bad `reviews.cadences` entry alone, so the rest of `reviews` still applies."""
    reviews = data.get("reviews")
    if not isinstance(reviews, dict) or not isinstance(reviews.get("cadences"), dict):
        return data, []
    problems: list[str] = []
    good: dict[str, Any] = {}
    for key, text in reviews["cadences"].items():
        try:
            parse_cadence(str(text))
        except ValueError as exc:
            problems.append(f"{source}: reviews.cadences.{key}: {exc}; using the catalog's cadence")
            continue
        good[str(key)] = str(text)
    return {**data, "reviews": {**reviews, "cadences": good}}, problems


def _validate_keeping_good_keys(data: dict[str, Any], source: str) -> tuple[RepoConfig, list[str]]:
    """Validate; drop each top-level key that fails (reporting why) and validate again."""
    problems: list[str] = []
    remaining = dict(data)
    while True:
        try:
            return RepoConfig.model_validate(remaining), problems
        except ValidationError as exc:
            bad = _failing_keys(exc)
            for error in exc.errors(include_url=False):
                path = ".".join(str(p) for p in error["loc"])
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"{source}: {path}: {message}; using the default")
            if not bad:
                return RepoConfig(), problems
            for key in bad:
                remaining.pop(key, None)


def _failing_keys(exc: ValidationError) -> set[str]:
    """The top-level keys named by a validation error."""
    return {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
