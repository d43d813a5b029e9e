"""The catalog's data model: controls, categories and the catalog that holds them (pure, no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from control_catalog.cadence import parse_cadence

CONTROL_ID = re.compile(r"^(GV|MP|MS|MG)-(\d+)\.(\d+)$")
CATEGORY_ID = re.compile(r"^(GV|MP|MS|MG)-(\d+)$")


class Function(StrEnum):
    """The four NIST AI RMF functions, in the order work usually flows through them."""

    GOVERN = "govern"
    MAP = "map"
    MEASURE = "measure"
    MANAGE = "manage"

    @property
    def prefix(self) -> str:
        """The two-letter id prefix the Profile and NIST use (GV, MP, MS, MG)."""
        return FUNCTION_PREFIX[self]


FUNCTION_PREFIX: dict[Function, str] = {
    Function.GOVERN: "GV",
    Function.MAP: "MP",
    Function.MEASURE: "MS",
    Function.MANAGE: "MG",
}


class Priority(StrEnum):
    """Whether the Profile flags a control as high priority."""

    HIGH = "high"
    STANDARD = "standard"


class Kind(StrEnum):
    """How often a control is done: per release, per organisation, on a cadence, on an event."""

    PER_RELEASE = "per_release"
    ORGANIZATIONAL = "organizational"
    RECURRING = "recurring"
    EVENT = "event"


class Framework(StrEnum):
    """Frameworks a control can be crosswalked to."""

    ISO_42001 = "iso_42001"
    EU_AI_ACT = "eu_ai_act"
    ISO_23894 = "iso_23894"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Category(_Frozen):
    """A NIST AI RMF category such as GV-1, grouping subcategory controls."""

    id: str = Field(pattern=CATEGORY_ID.pattern)
    function: Function
    title: str = Field(min_length=1)

    @model_validator(mode="after")
    def _prefix_matches_function(self) -> Category:
        if not self.id.startswith(self.function.prefix + "-"):
            raise ValueError(f"id {self.id} does not belong to function {self.function.value}")
        return self


class Control(_Frozen):
    """One catalog entry: a subcategory of the Profile, with our guidance and planning defaults."""

    id: str = Field(pattern=CONTROL_ID.pattern)
    function: Function
    category: str = Field(pattern=CATEGORY_ID.pattern)
    title: str = Field(min_length=1, max_length=200)
    guidance: str = Field(min_length=1)
    priority: Priority = Priority.STANDARD
    priority_source: str = Field(min_length=1)
    priority_verified: bool = False
    kind: Kind
    cadence: str | None = None
    crosswalks: dict[Framework, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("cadence")
    @classmethod
    def _cadence_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cadence(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Control:
        if not self.id.startswith(self.category + "."):
            raise ValueError(f"id {self.id} is not in category {self.category}")
        if not self.category.startswith(self.function.prefix + "-"):
            raise ValueError(f"category {self.category} is not in function {self.function.value}")
        if self.kind is Kind.RECURRING and self.cadence is None:
            raise ValueError("a recurring control needs a cadence")
        return self

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Profile order: function, then category number, then subcategory number."""
        match = CONTROL_ID.match(self.id)
        assert match is not None  # guaranteed by the field pattern
        order = list(FUNCTION_PREFIX.values()).index(match.group(1))
        return order, int(match.group(2)), int(match.group(3))


class CatalogHeader(_Frozen):
    """A catalog's identity and provenance, without its entries."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+-]*$")
    title: str = Field(min_length=1)
    source: str = ""
    crosswalk_sources: dict[Framework, str] = Field(default_factory=dict)


class Catalog(CatalogHeader):
    """A versioned set of controls, e.g. gpai-profile@1.2 (the loader checks ids and categories)."""

    categories: tuple[Category, ...]
    controls: tuple[Control, ...]

    @property
    def ref(self) -> str:
        """The catalog's reference, `name@version`, stored on every release planned from it."""
        return f"{self.name}@{self.version}"

    def get(self, control_id: str) -> Control | None:
        """The control with this id (case-insensitive), or None."""
        wanted = control_id.strip().upper()
        return next((c for c in self.controls if c.id == wanted), None)

    def category(self, category_id: str) -> Category | None:
        """The category with this id, or None."""
        return next((c for c in self.categories if c.id == category_id), None)
