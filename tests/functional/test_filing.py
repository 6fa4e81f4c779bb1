"""Court filing through the pages: review and file, the case page's Court panel, the joint
application for confirmation, the administrators' retry, and the court's callback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.cases.states import Status
from portal.config import get_settings
from portal.filing import delivery, services
from portal.filing.models import Filing, FilingStatus
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.unit.casefile.world import (
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    World,
    build_world,
    require_embedded_font,
)
from tests.unit.filing.support import courts_file, notice

UNREACHABLE = "http://127.0.0.1:1/api/v1/filings"


@pytest.fixture(autouse=True)
def _embedded_font() -> None:
    require_embedded_font()


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(get_settings(), "courts_file", courts_file(tmp_path, UNREACHABLE))
    return "test"


def _browser(make_browser: Any, phone: str) -> Browser:
    browser: Browser = make_browser()
    browser.get("/lang/en")
    browser.login(phone)
    return browser


def test_the_applicant_reviews_the_package_and_files(
        db: Session, make_browser: Any, unreachable: str) -> None:
    world = build_world(db)
    number = world.case.number
    browser = _browser(make_browser, APPLICANT_PHONE)
    page = browser.get(f"/cases/{number}")
    assert f'href="/cases/{number}/filing"' in page.text
    review = browser.get(f"/cases/{number}/filing")
    assert review.status_code == 200
    assert f"/cases/{number}/papers/complaint" in review.text
    for name in ("民事起诉状", "调解终结书", "调解笔录（第1次）", "documents/complaint.pdf",
                 *(e.original_name for e in world.evidence)):
        assert name in review.text, name
    assert '<option value="test">测试人民法院</option>' in review.text
    assert "settlement offers are never sent" in review.text
    done = browser.submit(f"/cases/{number}/filing", {"court_id": unreachable})
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{number}#filing"
    db.expire_all()
    filing = db.execute(select(Filing)).scalar_one()
    # Filed, and the court could not be reached: the attempt is recorded, another is due.
    assert world.case.status is Status.FILING_REQUESTED
    assert (filing.status, filing.attempts) == (FilingStatus.QUEUED, 1)
    page = browser.get(f"/cases/{number}")
    assert "The case was filed with 测试人民法院" in page.text
    assert "Waiting to be sent to the court" in page.text
    assert "the portal tries again at" in page.text
    assert f'href="/cases/{number}/filing"' not in page.text
    assert browser.get(f"/cases/{number}/filing").status_code == 404


def test_only_the_applicant_of_a_failed_case_may_file(
        db: Session, make_browser: Any, unreachable: str) -> None:
    world = build_world(db)
    number = world.case.number
    respondent = _browser(make_browser, RESPONDENT_PHONE)
    assert respondent.get(f"/cases/{number}/filing").status_code == 404
    assert respondent.submit(f"/cases/{number}/filing",
                             {"court_id": unreachable}).status_code == 404
    mediator = _browser(make_browser, world.mediator.phone)
    assert mediator.get(f"/cases/{number}/filing").status_code == 403
    applicant = _browser(make_browser, APPLICANT_PHONE)
    wrong = applicant.submit(f"/cases/{number}/filing", {"court_id": "nowhere"})
    assert wrong.status_code == 303 and wrong.headers["location"] == f"/cases/{number}/filing"
    assert "Choose a court from the list." in applicant.get(wrong.headers["location"]).text
    assert db.execute(select(Filing)).first() is None


def _filed(db: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> Filing:
    sent: list[int] = []
    monkeypatch.setattr(services.tasks.deliver, "delay", sent.append)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id="zhuji")
    db.commit()
    return filing


def test_a_refusal_is_shown_and_an_administrator_retries(
        db: Session, make_browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(db)
    filing = _filed(db, world, monkeypatch)
    admin = UserFactory(role=Role.ADMIN)
    court = httpx.Client(transport=httpx.MockTransport(lambda _request: httpx.Response(
        413, json={"error": "too_large", "detail": "over 1 GiB"})))
    assert delivery.deliver(filing.id, client=court) is FilingStatus.REFUSED
    applicant = _browser(make_browser, APPLICANT_PHONE)
    page = applicant.get(f"/cases/{world.case.number}")
    assert "Not accepted by the court" in page.text and "too_large: over 1 GiB" in page.text
    assert applicant.get("/admin/filings").status_code == 403
    assert applicant.submit(f"/admin/filings/{filing.id}/retry").status_code == 403
    staff = _browser(make_browser, admin.phone)
    listed = staff.get("/admin/filings")
    assert world.case.number in listed.text and "too_large: over 1 GiB" in listed.text
    done = staff.submit(f"/admin/filings/{filing.id}/retry")
    assert done.status_code == 303
    db.expire_all()
    assert filing.status is FilingStatus.QUEUED
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "filing.retried")
                       ).scalar_one()
    assert entry.actor_id == admin.id and '"was":"refused"' in entry.data
    assert "No filing is waiting" in staff.get("/admin/filings").text
    assert staff.submit(f"/admin/filings/{filing.id}/retry").status_code == 409
    assert staff.submit("/admin/filings/999999/retry").status_code == 404


def test_the_court_case_number_is_on_the_case_page(
        db: Session, make_browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(db)
    filing = _filed(db, world, monkeypatch)
    from portal.filing import decisions

    decisions.apply_token(db, notice(filing, "accepted", docket="(2026)浙0681民初88号"))
    db.commit()
    page = _browser(make_browser, RESPONDENT_PHONE).get(f"/cases/{world.case.number}")
    assert "(2026)浙0681民初88号" in page.text and "Accepted by the court" in page.text
    assert "诸暨市人民法院" in page.text  # the court, as who moved the case, on the timeline


def test_the_parties_apply_for_confirmation_on_the_case_page(
        db: Session, make_browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int] = []
    monkeypatch.setattr(services.tasks.deliver, "delay", sent.append)
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    number = world.case.number
    applicant = _browser(make_browser, APPLICANT_PHONE)
    page = applicant.get(f"/cases/{number}")
    assert "Apply by " in page.text and "30 days left" in page.text
    assert f'action="/cases/{number}/confirmation"' in page.text
    done = applicant.submit(f"/cases/{number}/confirmation", {"court_id": "zhuji"})
    assert done.status_code == 303
    page = applicant.get(f"/cases/{number}")
    assert "Your application is recorded" in page.text
    assert f'action="/cases/{number}/confirmation"' not in page.text
    respondent = _browser(make_browser, RESPONDENT_PHONE)
    page = respondent.get(f"/cases/{number}")
    assert "Court chosen by the first party to apply: 诸暨市人民法院" in page.text
    respondent.submit(f"/cases/{number}/confirmation", {"court_id": "zhuji"})
    assert "Every party has applied" in respondent.get(f"/cases/{number}").text
    db.expire_all()
    assert world.case.status is Status.CONFIRMATION_REQUESTED and len(sent) == 1


def test_after_30_days_the_page_says_so_and_refuses(
        db: Session, make_browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    for event in world.case.events:
        event.created_at -= dt.timedelta(days=32)
    db.commit()
    applicant = _browser(make_browser, APPLICANT_PHONE)
    page = applicant.get(f"/cases/{world.case.number}")
    assert "The 30 days to apply for judicial confirmation ended on" in page.text
    assert f'action="/cases/{world.case.number}/confirmation"' not in page.text
    refused = applicant.submit(f"/cases/{world.case.number}/confirmation",
                               {"court_id": "zhuji"})
    assert refused.status_code == 303
    assert "no longer accepts" in applicant.get(f"/cases/{world.case.number}").text
    db.expire_all()
    assert world.case.status is Status.AGREEMENT_IN_EFFECT


def test_the_courts_callback(db: Session, browser: Browser,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(db)
    filing = _filed(db, world, monkeypatch)
    url = "/api/v1/court/callbacks"
    token = notice(filing, "accepted")
    ok = browser.post(url, json={"notice": token})
    assert ok.status_code == 200 and ok.json() == {"status": "applied",
                                                    "package_id": filing.package_id}
    db.expire_all()
    assert world.case.status is Status.DOCKETED
    cases = [
        (json.dumps({"notice": token}), 409, "replayed"),
        (json.dumps({"notice": notice(filing, "accepted",
                                      package_id="00000000-0000-4000-8000-00000000000f")}),
         404, "unknown_filing"),
        (json.dumps({"notice": token[:-4] + "AAAA"}), 401, "bad_signature"),
        (json.dumps({"notice": "x.y.z"}), 400, "malformed"),
        (json.dumps({"note": token}), 400, "bad_request"),
        ("not json", 400, "bad_request"),
    ]
    for body, status, code in cases:
        response = browser.post(url, content=body,
                                headers={"content-type": "application/json"})
        assert response.status_code == status, (body, response.text)
        answer = response.json()
        assert answer["error"] == code and answer["detail"], answer
