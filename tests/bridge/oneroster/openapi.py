"""The official OneRoster 1.2 OpenAPI documents, as validators of what we send and receive.

They live beside the project in `../shared/specs/oneroster-1.2/` and are never copied into
it; tests that need them are skipped when that folder is absent (CI always has it).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "oneroster-1.2"
FILES = {
    "rostering": "onerosterv1p2rostersservice_openapi3_v1p0.json",
    "gradebook": "onerosterv1p2gradebookservice_openapi3_v1p0.json",
}


@cache
def _document(service: str) -> dict[str, Any]:
    path = SPECS / FILES[service]
    if not path.exists():
        pytest.skip(f"the OneRoster 1.2 OpenAPI documents are not at {SPECS}")
    return json.loads(path.read_text())


def errors(service: str, schema: str, instance: Any) -> list[str]:
    """Every way `instance` breaks `#/components/schemas/<schema>` (formats checked too)."""
    document = _document(service)
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(instance)
    )


def assert_valid(service: str, schema: str, instance: Any) -> None:
    found = errors(service, schema, instance)
    assert not found, f"{schema} violations:\n" + "\n".join(found)
