"""The JSON API: bearer tokens, validation errors, ownership, OpenAPI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.cases.states import Status
from tests.factories import PASSWORD, BodyFactory, UserFactory, complete_draft
from tests.functional.conftest import Browser


def _token(browser: Browser, phone: str) -> dict[str, str]:
    response = browser.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_openapi_is_generated_from_the_schemas(browser: Browser) -> None:
    doc = browser.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/cases/{number}/actions" in doc["paths"]
    schemas = doc["components"]["schemas"]
    action = next(v for k, v in schemas.items() if k.startswith("ActionIn."))
    assert action["required"] == ["trigger"]
    trigger = next(v for k, v in schemas.items() if k.endswith(".Trigger"))
    assert "submit" in trigger["enum"] and "docket" in trigger["enum"]
    assert not any(p.startswith("/cases") for p in doc["paths"])  # HTML pages are not API


def test_token_login_and_me(browser: Browser, db: Session) -> None:
    user = UserFactory(name="接口用户")
    headers = _token(browser, user.phone)
    me = browser.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["name"] == "接口用户"
    assert browser.get("/api/v1/me").status_code == 401
    forged = {"Authorization": headers["Authorization"][:-2] + "xx"}
    assert browser.get("/api/v1/me", headers=forged).status_code == 401


def test_bad_login_and_invalid_body(browser: Browser, db: Session) -> None:
    UserFactory(phone="13712345678")
    bad = browser.post("/api/v1/auth/token", json={"phone": "13712345678", "password": "no"})
    assert bad.status_code == 400 and bad.json()["error"]
    missing = browser.post("/api/v1/auth/token", json={"phone": ""})
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"phone", "password"}
    form = browser.post("/api/v1/auth/token", data={"phone": "x", "password": "y"},
                        headers={"Authorization": "Bearer none"})
    assert form.status_code in (400, 415)


def test_refresh_rotates(browser: Browser, db: Session) -> None:
    user = UserFactory()
    first = browser.post("/api/v1/auth/token",
                         json={"phone": user.phone, "password": PASSWORD}).json()
    second = browser.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    again = browser.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401


def _world(db: Session) -> dict[str, Any]:
    body = BodyFactory()
    party = UserFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    case = complete_draft(db, party, body)
    return {"party": party, "boss": boss, "case": case}


def test_cases_are_scoped_and_actions_follow_the_state_machine(
        browser: Browser, db: Session) -> None:
    w = _world(db)
    number = w["case"].number
    party = _token(browser, w["party"].phone)
    listing = browser.get("/api/v1/cases", headers=party).json()
    assert [c["number"] for c in listing["items"]] == [number] and listing["total"] == 1
    detail = browser.get(f"/api/v1/cases/{number}", headers=party).json()
    assert detail["allowed_actions"] == ["submit", "withdraw"]

    stranger = _token(browser, UserFactory().phone)
    assert browser.get(f"/api/v1/cases/{number}", headers=stranger).status_code == 404
    assert browser.get("/api/v1/cases", headers=stranger).json()["total"] == 0

    incomplete = browser.post(f"/api/v1/cases/{number}/actions", headers=party,
                              json={"trigger": "submit"})
    assert incomplete.status_code == 400
    assert {"consent_online", "consent_service"} <= set(incomplete.json()["fields"])
    submitted = browser.post(f"/api/v1/cases/{number}/actions", headers=party,
                             json={"trigger": "submit", "consent_online": True,
                                   "consent_service": True})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    boss = _token(browser, w["boss"].phone)
    assert browser.post(f"/api/v1/cases/{number}/actions", headers=party,
                        json={"trigger": "accept"}).status_code == 403
    conflict = browser.post(f"/api/v1/cases/{number}/actions", headers=boss,
                            json={"trigger": "docket"})
    assert conflict.status_code in (403, 409)
    decline = browser.post(f"/api/v1/cases/{number}/actions", headers=boss,
                           json={"trigger": "decline"})
    assert decline.status_code == 400 and "reason" in decline.json()["fields"]
    unknown = browser.post(f"/api/v1/cases/{number}/actions", headers=boss,
                           json={"trigger": "explode"})
    assert unknown.status_code == 400 and "trigger" in unknown.json()["fields"]
    db.expire_all()
    assert db.execute(select(Case.status)).scalar_one() is Status.SUBMITTED


def test_cookie_session_api_call_needs_csrf_header(browser: Browser, db: Session) -> None:
    w = _world(db)
    browser.login(w["party"].phone)
    url = f"/api/v1/cases/{w['case'].number}/actions"
    assert browser.post(url, json={"trigger": "withdraw", "reason": "x"}).status_code == 403
    ok = browser.post(url, json={"trigger": "withdraw", "reason": "settled"},
                      headers={"x-csrftoken": browser.csrf()})
    assert ok.status_code == 200


def test_body_suggestions(browser: Browser, db: Session) -> None:
    BodyFactory(name="家事调解室", dispute_types=["family"])
    BodyFactory(name="劳动争议调解站", dispute_types=["labour"])
    found = browser.get("/api/v1/bodies/suggestions?dispute_type=family").json()["items"]
    assert [b["name"] for b in found] == ["家事调解室"]
    assert browser.get("/api/v1/bodies/suggestions?dispute_type=nope").status_code == 400


def test_ids_beyond_the_database_are_refused_not_queried(browser: Browser, db: Session) -> None:
    # Found by schemathesis on PostgreSQL: an id past its integer range failed the query
    # (500). Now a body field answers 400 and a path id matches no route or row (404).
    dispatcher = UserFactory(role=Role.DISPATCHER)
    auth = _token(browser, dispatcher.phone)
    huge = 2**31
    moved = browser.post("/api/v1/orders/1/dispatch", headers=auth, json={"body_id": huge})
    assert moved.status_code == 400, moved.text
    assert browser.get(f"/api/v1/orders/{huge}", headers=auth).status_code == 404
    browser.login(dispatcher.phone)
    assert browser.get(f"/orders/{huge}").status_code == 404
    assert browser.get(f"/bodies/{huge * 10}").status_code == 404
    assert browser.get("/bodies/999999999").status_code == 404  # in range, no such body
