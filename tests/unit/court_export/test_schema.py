"""The published JSON Schema of case.json."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from court_export.errors import PackageRejected
from court_export.schema import SCHEMA_VERSION, case_schema, validate_case
from tests.unit.court_export.craft import CASE

DOC = {"path": "documents/complaint.pdf", "title": "起诉状", "media_type": "application/pdf",
       "sha256": "a" * 64, "size": 10}


def valid_case() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "package_id": "6f1c3f0e-8a43-4b1b-9c55-0d2f4a0b1c2d",
            **copy.deepcopy(CASE), "lead_document": dict(DOC), "connected_documents": [],
            "evidence": [{**DOC, "path": "evidence/a.jpg", "submitted_by": "张三",
                          "submitted_at": None}],
            "created_at": "2025-03-21T08:00:00Z"}


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = case_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    schema["title"] = "changed"
    assert case_schema()["title"] != "changed"


def test_a_complete_case_is_valid() -> None:
    validate_case(valid_case())


def mutate(path: str, value: object) -> dict[str, Any]:
    case = valid_case()
    *parents, last = path.split(".")
    target: Any = case
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return case


@pytest.mark.parametrize(("path", "value"), [
    ("schema_version", "2.0"),
    ("filing_type", "appeal"),
    ("court", KeyError),
    ("court.id", ""),
    ("case.number", KeyError),
    ("case_participants", []),
    ("case_participants.0.role", "judge"),
    ("case_participants.0.kind", "robot"),
    ("claims.0.amount", "12,000"),
    ("claims.0.amount", 12000),
    ("claims.0.currency", "USD"),
    ("lead_document.sha256", "A" * 64),
    ("lead_document.size", -1),
    ("lead_document.path", "evidence/a.pdf"),
    ("lead_document.submitted_by", "x"),
    ("evidence.0.path", "documents/a.pdf"),
    ("mediation_history.0.at", "2025-03-04 09:00"),
    ("mediation_history.0.at", "2025-03-04T09:00:00+08:00"),
    ("created_at", "yesterday"),
    ("caucus_notes", "private"),
    ("settlement_offers", []),
    ("package_id", "6F1C3F0E-8A43-4B1B-9C55-0D2F4A0B1C2D"),
])
def test_invalid_cases_are_refused_with_the_place(path: str, value: object) -> None:
    with pytest.raises(PackageRejected) as caught:
        validate_case(mutate(path, value))
    assert caught.value.code == "schema_invalid"
    assert caught.value.detail.startswith("case.json at ")


def test_a_confirmation_needs_a_valid_due_date() -> None:
    case = valid_case()
    case["filing_type"] = "judicial_confirmation"
    with pytest.raises(PackageRejected):
        validate_case(case)
    case["deadlines"] = {"confirmation_due": "2025-02-30"}
    with pytest.raises(PackageRejected):
        validate_case(case)
    case["deadlines"] = {"confirmation_due": "2025-04-19"}
    validate_case(case)
