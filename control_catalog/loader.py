"""Load and validate catalogs: the bundled ones by reference, or a user's YAML file by path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from control_catalog.errors import CatalogError, CatalogProblem
from control_catalog.schema import Catalog, CatalogHeader, Category, Control

DEFAULT_CATALOG = "gpai-profile@1.2"
_ENTRY_LISTS = ("categories", "controls")
M = TypeVar("M", bound=BaseModel)


def bundled_refs() -> list[str]:
    """The references (`name@version`) of the catalogs shipped in `control_catalog/data/`."""
    names = (f.name for f in resources.files("control_catalog").joinpath("data").iterdir())
    return sorted(_ref_from_filename(n) for n in names if n.endswith(".yaml"))


def resolve_catalog(spec: str | Path | None = None) -> Catalog:
    """Load a catalog by bundled reference (`gpai-profile@1.2`, `gpai-profile`) or file path."""
    if spec is None:
        return load_bundled(DEFAULT_CATALOG)
    text = str(spec)
    refs = bundled_refs()
    if text in refs:
        return load_bundled(text)
    latest = [r for r in refs if r.split("@", 1)[0] == text]
    if latest and not Path(text).exists():
        return load_bundled(latest[-1])
    return load_catalog(Path(text))


@cache
def load_bundled(ref: str) -> Catalog:
    """Load a bundled catalog by `name@version` (cached: catalogs are immutable)."""
    name, _, version = ref.partition("@")
    filename = f"{name}-{version}.yaml"
    resource = resources.files("control_catalog").joinpath("data", filename)
    if not resource.is_file():
        known = ", ".join(bundled_refs())
        raise CatalogError([CatalogProblem(ref, "", "", f"no bundled catalog; known: {known}")])
    return parse_catalog(resource.read_text(encoding="utf-8"), source=f"bundled:{filename}")


def load_catalog(path: Path) -> Catalog:
    """Load a user's catalog file, raising CatalogError with every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError([CatalogProblem(str(path), "", "", exc.strerror or str(exc))]) from None
    except UnicodeDecodeError:
        raise CatalogError([CatalogProblem(str(path), "", "", "not UTF-8 text")]) from None
    return parse_catalog(text, source=str(path))


def parse_catalog(text: str, *, source: str) -> Catalog:
    """Parse catalog YAML text; `source` names the file in error messages."""
    data = _read_yaml(text, source)
    problems = list(_check_header(data, source))
    entries = {key: _entry_list(data, key, source, problems) for key in _ENTRY_LISTS}
    categories = _validate_entries(Category, entries["categories"], "categories", source, problems)
    controls = _validate_entries(Control, entries["controls"], "controls", source, problems)
    problems.extend(_check_duplicates(categories, "categories", source))
    problems.extend(_check_duplicates(controls, "controls", source))
    problems.extend(_check_membership(categories, controls, source))
    if problems:
        raise CatalogError(problems)
    header = {k: v for k, v in data.items() if k not in _ENTRY_LISTS}
    ordered = sorted((c for _, c in controls), key=lambda c: c.sort_key)
    return Catalog(**header, categories=tuple(c for _, c in categories), controls=tuple(ordered))


def _ref_from_filename(filename: str) -> str:
    """`gpai-profile-1.2.yaml` -> `gpai-profile@1.2`."""
    name, _, version = filename.removesuffix(".yaml").rpartition("-")
    return f"{name}@{version}"


def _read_yaml(text: str, source: str) -> Mapping[str, Any]:
    """Parse YAML into a mapping, reporting syntax errors with their line."""
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}" if mark is not None else ""
        raise CatalogError([CatalogProblem(source, line, "", f"bad YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise CatalogError([CatalogProblem(source, "", "", f"bad YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise CatalogError([CatalogProblem(source, "", "", "expected a mapping at the top level")])
    return data


def _check_header(data: Mapping[str, Any], source: str) -> Iterable[CatalogProblem]:
    """Validate the catalog's name, version, title and provenance fields."""
    header = {k: v for k, v in data.items() if k not in _ENTRY_LISTS}
    try:
        CatalogHeader.model_validate(header)
    except ValidationError as exc:
        yield from _problems(exc, source, "catalog")


def _entry_list(
    data: Mapping[str, Any], key: str, source: str, problems: list[CatalogProblem]
) -> list[Any]:
    """The list under `key`, or a problem if it is missing or not a list."""
    value = data.get(key)
    if isinstance(value, list) and value:
        return value
    problems.append(CatalogProblem(source, "catalog", key, "expected a non-empty list"))
    return []


def _validate_entries(
    model: type[M], raw: list[Any], key: str, source: str, problems: list[CatalogProblem]
) -> list[tuple[str, M]]:
    """Validate each entry on its own so that every bad entry is reported, not just the first."""
    valid: list[tuple[str, M]] = []
    for index, item in enumerate(raw):
        entry = _entry_name(key, index, item)
        try:
            valid.append((entry, model.model_validate(item)))
        except ValidationError as exc:
            problems.extend(_problems(exc, source, entry))
    return valid


def _entry_name(key: str, index: int, item: Any) -> str:
    """`controls[3] GV-1.2`: position plus the id when there is one."""
    ident = item.get("id") if isinstance(item, dict) else None
    return f"{key}[{index}] {ident}" if ident else f"{key}[{index}]"


def _problems(exc: ValidationError, source: str, entry: str) -> Iterable[CatalogProblem]:
    """Turn pydantic's errors into problems naming the field and the bad value."""
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("missing", "value_error", "model_type"):
            message += f" (got {error['input']!r})"
        yield CatalogProblem(source, entry, field, message)


def _check_duplicates(
    entries: list[tuple[str, Category]] | list[tuple[str, Control]], key: str, source: str
) -> Iterable[CatalogProblem]:
    """Each id may appear once; a repeat names where the id was first seen."""
    first: dict[str, str] = {}
    for entry, item in entries:
        if item.id in first:
            yield CatalogProblem(
                source, entry, "id", f"duplicate id {item.id}, first at {first[item.id]}"
            )
        else:
            first[item.id] = entry


def _check_membership(
    categories: list[tuple[str, Category]], controls: list[tuple[str, Control]], source: str
) -> Iterable[CatalogProblem]:
    """Every control's category is declared and belongs to the control's function."""
    declared = {c.id: c for _, c in categories}
    for entry, control in controls:
        category = declared.get(control.category)
        if category is None:
            yield CatalogProblem(source, entry, "category", f"unknown category {control.category}")
        elif category.function is not control.function:
            yield CatalogProblem(
                source,
                entry,
                "function",
                f"{control.function.value} does not match category {category.id} "
                f"({category.function.value})",
            )
