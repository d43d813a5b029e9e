"""`controlbot catalog ...`: list, show and validate control catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.errors import CliError
from bot.cli.render import OutputFormat, console, print_json, table
from control_catalog import Catalog, Control, load_catalog, resolve_catalog

app = typer.Typer(help="Browse and check control catalogs.", no_args_is_help=True)

CatalogOption = Annotated[
    str | None,
    typer.Option("--catalog", help="Bundled catalog (gpai-profile@1.2) or a YAML file path."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def control_summary(control: Control) -> dict[str, Any]:
    """The fields a list shows, as plain data."""
    return {
        "id": control.id,
        "function": control.function.value,
        "category": control.category,
        "title": control.title,
        "priority": control.priority.value,
        "kind": control.kind.value,
        "cadence": control.cadence,
    }


def control_detail(control: Control, catalog: Catalog) -> dict[str, Any]:
    """Every field of a control, plus its category's title and the catalog it came from."""
    category = catalog.category(control.category)
    return {
        **control.model_dump(mode="json"),
        "category_title": category.title if category else None,
        "catalog": catalog.ref,
    }


@app.command("list")
def list_controls(catalog: CatalogOption = None, output: FormatOption = OutputFormat.TABLE) -> None:
    """List every control of a catalog."""
    loaded = resolve_catalog(catalog)
    if output is OutputFormat.JSON:
        print_json([control_summary(c) for c in loaded.controls])
        return
    rows = [
        (c.id, c.function.value, c.title, c.priority.value, c.kind.value, c.cadence)
        for c in loaded.controls
    ]
    title = f"{loaded.ref}: {len(rows)} controls"
    columns = ("ID", "Function", "Title", "Priority", "Kind", "Cadence")
    console().print(table(title, columns, rows))


@app.command("show")
def show_control(
    control_id: Annotated[str, typer.Argument(help="Control id, e.g. GV-1.2.")],
    catalog: CatalogOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show one control with its guidance, provenance and crosswalks."""
    loaded = resolve_catalog(catalog)
    control = loaded.get(control_id)
    if control is None:
        raise CliError(f"{loaded.ref} has no control {control_id!r}")
    detail = control_detail(control, loaded)
    if output is OutputFormat.JSON:
        print_json(detail)
        return
    rows = [(key, _cell(value)) for key, value in detail.items()]
    console().print(table(f"{control.id} {control.title}", ("Field", "Value"), rows))


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="Catalog YAML file to check.")]) -> None:
    """Check a catalog file; print every problem with its file, entry and field."""
    loaded = load_catalog(path)
    print(
        f"ok: {loaded.ref} with {len(loaded.controls)} controls "
        f"in {len(loaded.categories)} categories"
    )


def _cell(value: Any) -> str:
    """A readable cell for nested values (crosswalk lists, mappings)."""
    if isinstance(value, dict):
        return "; ".join(
            f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in value.items()
        )
    return "-" if value is None else str(value)
