"""Hardening seen from a browser: headers on every kind of answer, size limits that spare
the upload routes, request ids, and a regression the API fuzzing found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.config import get_settings
from tests.factories import BodyFactory, CaseFactory, UserFactory, evidence_bytes
from tests.functional.conftest import Browser

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
           "referrer-policy", "permissions-policy", "x-request-id")


def test_every_kind_of_answer_carries_the_headers(browser: Browser, db: Session) -> None:
    answers = {
        "page": browser.get("/login"),
        "redirect": browser.get("/cases", follow_redirects=False),
        "not found": browser.get("/no/such/page"),
        "static": browser.get("/static/css/app.css"),
        "api": browser.get("/api/v1/me"),
        "health": browser.get("/healthz"),
    }
    assert [r.status_code for r in answers.values()] == [200, 303, 404, 200, 401, 200]
    for kind, response in answers.items():
        missing = [h for h in HEADERS if h not in response.headers]
        assert missing == [], kind
    assert "strict-transport-security" not in answers["page"].headers  # not production


def test_request_ids_pass_through(browser: Browser) -> None:
    assert browser.get("/login", headers={"X-Request-ID": "lb-7f3a"}).headers[
        "x-request-id"] == "lb-7f3a"


@pytest.fixture
def party_case(db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(get_settings(), "storage_path", tmp_path / "files")
    body = BodyFactory()
    party = UserFactory()
    return party, CaseFactory(applicant=party, body_id=body.id, area_id=body.area_id)


def test_evidence_uploads_are_not_held_to_the_general_limit(
        browser: Browser, party_case: Any) -> None:
    party, case = party_case
    big = evidence_bytes("pdf", 3 * 1024 * 1024)  # over the 2 MiB general limit
    assert len(big) > get_settings().request_max_bytes
    browser.login(party.phone)
    response = browser.post(f"/cases/{case.number}/evidence",
                            data={"csrftoken": browser.csrf(), "description": "合同"},
                            files={"file": ("合同.pdf", big, "application/pdf")},
                            headers={"accept": "application/json"}, follow_redirects=False)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(big)


def test_other_forms_are(browser: Browser, db: Session) -> None:
    browser.login(UserFactory(role=Role.DISPATCHER).phone)
    response = browser.submit("/notifications/read", {"all": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "content-security-policy" in response.headers


def test_a_json_body_that_is_not_utf8_is_a_client_error(browser: Browser) -> None:
    """Found by tests/functional/test_schemathesis.py: this was a 500 (spectree let the
    UnicodeDecodeError through)."""
    response = browser.post("/api/v1/auth/token", content=b'{"phone": "\xf2"}',
                            headers={"content-type": "application/json"})
    assert response.status_code == 400
