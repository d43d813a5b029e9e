"""The control catalog: the Profile's controls as versioned, validated data (pure, no database)."""

from control_catalog.cadence import Cadence, Period, parse_cadence
from control_catalog.errors import CatalogError, CatalogProblem
from control_catalog.loader import (
    DEFAULT_CATALOG,
    bundled_refs,
    load_bundled,
    load_catalog,
    parse_catalog,
    resolve_catalog,
)
from control_catalog.schema import (
    Catalog,
    CatalogHeader,
    Category,
    Control,
    Framework,
    Function,
    Kind,
    Priority,
)

__all__ = [
    "DEFAULT_CATALOG",
    "Cadence",
    "Catalog",
    "CatalogError",
    "CatalogHeader",
    "CatalogProblem",
    "Category",
    "Control",
    "Framework",
    "Function",
    "Kind",
    "Period",
    "Priority",
    "bundled_refs",
    "load_bundled",
    "load_catalog",
    "parse_cadence",
    "parse_catalog",
    "resolve_catalog",
]
