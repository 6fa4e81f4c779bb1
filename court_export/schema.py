"""The published JSON Schema of data/case.json and its validation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from court_export.errors import PackageRejected

__all__ = ["SCHEMA_VERSION", "case_schema", "validate_case"]

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = f"case-{SCHEMA_VERSION}.schema.json"


@cache
def _schema_text() -> str:
    return resources.files("court_export").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")


def case_schema() -> dict[str, Any]:
    """A fresh copy of the schema (callers may change it freely)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = case_schema()
    Draft202012Validator.check_schema(schema)
    # Formats are assertions here, not the draft's default annotations: a court relies on them.
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_case(data: Mapping[str, Any]) -> None:
    """Raise ``PackageRejected("schema_invalid", ...)`` naming the first problem found."""
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise PackageRejected("schema_invalid", f"case.json at {where}: {error.message}")
