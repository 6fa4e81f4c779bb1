"""The application and review workflow through /api/v1, as the grid app or a court
integration would drive it."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases import assignment, consent, review
from portal.cases.models import Case
from portal.cases.states import Status
from tests.factories import (
    PASSWORD,
    BodyFactory,
    UserFactory,
    add_respondent_contact,
    application_values,
    complete_draft,
)
from tests.functional.conftest import Browser

KEY = "api-workflow-key-0000000001"


def _auth(browser: Browser, phone: str) -> dict[str, str]:
    token = browser.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_application_through_the_api(browser: Browser, db: Session) -> None:
    body = BodyFactory(dispute_types=["labour"])
    party = _auth(browser, UserFactory().phone)
    bad = browser.post("/api/v1/applications", headers=party,
                       json={"create_key": KEY, "values": {"dispute_type": "nonsense"}})
    assert bad.status_code == 400 and "dispute_type" in bad.json()["fields"]
    assert db.query(Case).count() == 0

    first = browser.post("/api/v1/applications", headers=party,
                         json={"create_key": KEY, "values": application_values("type")})
    again = browser.post("/api/v1/applications", headers=party,
                         json={"create_key": KEY, "values": application_values("type")})
    assert first.status_code == 201 and again.json()["number"] == first.json()["number"]
    number = first.json()["number"]
    assert first.json()["missing_steps"]

    for step in ("parties", "respondents", "claims"):
        saved = browser.put(f"/api/v1/applications/{number}/{step}", headers=party,
                            json={"values": application_values(step)})
        assert saved.status_code == 200, saved.text
    wrong = browser.put(f"/api/v1/applications/{number}/claims", headers=party,
                        json={"values": application_values("claims", **{"c-0-amount": "-5"})})
    assert wrong.status_code == 400 and "c-0-amount" in wrong.json()["fields"]
    last = browser.put(f"/api/v1/applications/{number}/body", headers=party,
                       json={"values": {"body_id": str(body.id)}})
    assert last.json()["missing_steps"] == []

    stranger = _auth(browser, UserFactory().phone)
    assert browser.put(f"/api/v1/applications/{number}/claims", headers=stranger,
                       json={"values": application_values("claims")}).status_code == 404
    done = browser.post(f"/api/v1/cases/{number}/actions", headers=party,
                        json={"trigger": "submit", "consent_online": True,
                              "consent_service": True})
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    late = browser.put(f"/api/v1/applications/{number}/claims", headers=party,
                       json={"values": application_values("claims")})
    assert late.status_code == 403


def test_referral_respondent_and_mediator_answers(browser: Browser, db: Session) -> None:
    body = BodyFactory(dispute_types=["labour"])
    other = BodyFactory(dispute_types=["labour"])
    applicant = UserFactory()
    respondent = UserFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    other_boss = UserFactory(role=Role.BODY_ADMIN, body_id=other.id)
    mediator = UserFactory(role=Role.MEDIATOR, body_id=other.id)
    case = complete_draft(db, applicant, body)
    add_respondent_contact(db, case, name=respondent.name, phone=respondent.phone,
                           user=respondent)
    number = case.number
    party = _auth(browser, applicant.phone)
    browser.post(f"/api/v1/cases/{number}/actions", headers=party,
                 json={"trigger": "submit", "consent_online": True, "consent_service": True})

    staff = _auth(browser, boss.phone)
    missing = browser.post(f"/api/v1/cases/{number}/referral", headers=staff,
                           json={"body_id": other.id})
    assert missing.status_code == 400
    moved = browser.post(f"/api/v1/cases/{number}/referral", headers=staff,
                         json={"body_id": other.id, "reason": "属于园区调解站受理范围"})
    assert moved.status_code == 200 and moved.json()["body_id"] == other.id
    assert browser.get(f"/api/v1/cases/{number}", headers=staff).status_code == 404

    db.expire_all()
    review.accept(db, case=db.get(Case, case.id), actor=other_boss)  # type: ignore[arg-type]
    db.commit()
    assert browser.post(f"/api/v1/cases/{number}/respondent-answer", headers=party,
                        json={"agree": True}).status_code == 403
    answered = browser.post(f"/api/v1/cases/{number}/respondent-answer",
                            headers=_auth(browser, respondent.phone), json={"agree": True})
    assert answered.status_code == 200, answered.text
    # The generic action takes the same path and still waits for every respondent.
    again = browser.post(f"/api/v1/cases/{number}/actions",
                         headers=_auth(browser, respondent.phone),
                         json={"trigger": "respondent_agree"})
    assert again.status_code == 200, again.text
    assert again.json()["status"] == Status.AWAITING_RESPONDENT
    # The company named in the application has not answered yet: the case waits for it.
    assert answered.json()["status"] == Status.AWAITING_RESPONDENT
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None
    company = next(p for p in consent.respondents(fresh) if p.user_id is None)
    consent.answer_in_portal(db, case=fresh, user=other_boss, agree=True,
                             participant_id=company.id, reason="公司负责人电话表示同意")
    db.commit()
    db.expire_all()
    assert db.get(Case, case.id).status is Status.RESPONDENT_AGREED  # type: ignore[union-attr]

    db.expire_all()
    assignment.assign(db, case=db.get(Case, case.id), actor=other_boss,  # type: ignore[arg-type]
                      mediator_id=mediator.id)
    db.commit()
    them = _auth(browser, mediator.phone)
    no_decl = browser.post(f"/api/v1/cases/{number}/mediator-answer", headers=them,
                           json={"accept": True})
    assert no_decl.status_code == 400 and "no_conflict" in no_decl.json()["fields"]
    accepted = browser.post(f"/api/v1/cases/{number}/mediator-answer", headers=them,
                            json={"accept": True, "no_conflict": True})
    assert accepted.status_code == 200 and accepted.json()["status"] == Status.IN_MEDIATION
    assert browser.post(f"/api/v1/cases/{number}/mediator-answer", headers=party,
                        json={"accept": True}).status_code == 403


def test_evidence_upload_through_the_api(browser: Browser, db: Session) -> None:
    body = BodyFactory(dispute_types=["labour"])
    applicant = UserFactory()
    number = complete_draft(db, applicant, body).number
    party = _auth(browser, applicant.phone)
    pdf = b"%PDF-1.7\n" + b"0" * 2000
    sent = browser.post(f"/api/v1/cases/{number}/evidence", headers=party,
                        data={"description": "劳动合同"},
                        files={"file": ("合同.pdf", pdf, "application/pdf")})
    assert sent.status_code == 201, sent.text
    assert sent.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
    exe = browser.post(f"/api/v1/cases/{number}/evidence", headers=party,
                       data={"description": "x"},
                       files={"file": ("x.pdf", b"\x7fELF\x02\x01\x01\0" + b"0" * 100,
                                       "application/pdf")})
    assert exe.status_code == 415 and exe.json()["error"]
    doc = browser.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/cases/{number}/evidence"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
