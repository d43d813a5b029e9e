"""Regenerate the OSCAL assessment-results JSON schema the export tests validate against.

NIST's schema is not on PyPI, so it is generated from compliance-trestle's pydantic models:

    python -m venv /tmp/trestle-venv
    /tmp/trestle-venv/bin/pip install compliance-trestle==5.2.0
    /tmp/trestle-venv/bin/python tests/oscal/generate_schema.py

compliance-trestle 5.2.0 models OSCAL 1.2.1; pydantic writes JSON Schema draft 2020-12 without
a `$schema` key, so the dialect pydantic uses is added here. Not a test module, not imported.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from pydantic.json_schema import GenerateJsonSchema
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import Model

TARGET = Path(__file__).with_name("oscal_assessment-results_schema.json")


def generate() -> dict[str, object]:
    """The schema of `{"assessment-results": ...}` with its dialect and provenance."""
    schema = Model.model_json_schema()
    provenance = (
        f"Generated from compliance-trestle {version('compliance-trestle')} "
        f"(OSCAL {OSCAL_VERSION}) by tests/oscal/generate_schema.py; do not edit."
    )
    return {"$schema": GenerateJsonSchema.schema_dialect, "$comment": provenance, **schema}


def main() -> None:
    """Write the schema next to this script."""
    TARGET.write_text(json.dumps(generate(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
