"""The agreement's and the minutes' pages: who may use them, and refusals shown on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.agreements import services
from portal.agreements.models import SignableDocument
from portal.db.types import utcnow
from portal.mediation.models import MediationSession, SessionStatus
from portal.storage import get_storage
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.mediation_world import add_session
from tests.unit.agreements.support import (
    SigningWorld,
    data_url,
    last_code,
    sample_draft,
    signing_world,
)


@pytest.fixture
def w(db: Session) -> SigningWorld:
    return signing_world(db)


@pytest.fixture
def document(db: Session, w: SigningWorld) -> SignableDocument:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    found = services.open_signing(db, case=w.case, actor=w.mediator, storage=get_storage())
    db.commit()
    return found


def _login(make_browser: Any, phone: str) -> Browser:
    browser: Browser = make_browser()
    browser.login(phone)
    return browser


def test_strangers_and_parties_cannot_draft(w: SigningWorld, make_browser: Any) -> None:
    base = f"/cases/{w.case.number}/agreement"
    applicant = _login(make_browser, w.world.applicant.phone)
    assert applicant.get(f"{base}/edit").status_code == 403
    assert applicant.get(base).status_code == 200
    stranger = _login(make_browser, UserFactory().phone)
    assert stranger.get(base).status_code == 404
    other = _login(make_browser, w.world.other_mediator.phone)
    assert other.get(f"{base}/edit").status_code == 404  # not this mediator's case


def test_editor_keeps_what_was_typed_on_an_error(w: SigningWorld, make_browser: Any) -> None:
    mediator = _login(make_browser, w.mediator.phone)
    response = mediator.submit(f"/cases/{w.case.number}/agreement/edit",
                               {"facts": "事实经过", "terms": "", "breach_clause": "违约"})
    assert response.status_code == 400
    assert "事实经过" in response.text and 'id="e-terms"' in response.text


def test_template_prefill_with_amount_and_date(w: SigningWorld, make_browser: Any) -> None:
    mediator = _login(make_browser, w.mediator.phone)
    page = mediator.get(f"/cases/{w.case.number}/agreement/edit?template=1&amount=5000"
                        "&due=2026-09-30")
    assert "5,000.00" in page.text and 'value="2026-09-30"' in page.text


def test_wrong_code_stale_file_and_bad_drawing_are_refused_on_the_page(
        db: Session, w: SigningWorld, document: SignableDocument, make_browser: Any) -> None:
    applicant = _login(make_browser, w.world.applicant.phone)
    url = f"/cases/{w.case.number}/documents/{document.id}"
    signer = str(document.signers[0].id)
    assert applicant.submit(f"{url}/code", {"signer_id": signer}).status_code == 303
    code = last_code(db, w.world.applicant_party.phone)
    wrong = "000000" if code != "000000" else "111111"
    form = {"signer_id": signer, "sha256": document.current_sha256, "signature": data_url()}
    refused = applicant.submit(f"{url}/sign", {**form, "code": wrong})
    assert refused.status_code == 400 and 'data-error="code"' in refused.text
    stale = applicant.submit(f"{url}/sign", {**form, "code": code, "sha256": "0" * 64})
    assert stale.status_code == 409 and 'data-error="sign"' in stale.text
    scribble = applicant.submit(f"{url}/sign", {**form, "code": code,
                                                "signature": "data:image/png;base64,AAAA"})
    assert scribble.status_code == 400 and 'data-error="signature"' in scribble.text
    done = applicant.submit(f"{url}/sign", {**form, "code": code})
    assert done.status_code == 303
    db.expire_all()
    assert db.get(SignableDocument, document.id).signers[0].signed_at is not None  # type: ignore[union-attr]


def test_revising_during_signing_warns_and_voids(db: Session, w: SigningWorld,
                                                 document: SignableDocument,
                                                 make_browser: Any) -> None:
    mediator = _login(make_browser, w.mediator.phone)
    base = f"/cases/{w.case.number}/agreement"
    # The warning, in the default language (Chinese): every signature so far becomes void.
    assert "已完成的所有签名都将作废" in mediator.get(f"{base}/edit").text
    values = {"facts": "新事实", "terms": "新条款", "breach_clause": "违约", "note": "重写"}
    assert mediator.submit(f"{base}/edit", values).status_code == 303
    page = mediator.get(f"/cases/{w.case.number}/documents/{document.id}")
    assert 'data-status="void"' in page.text and 'name="signature"' not in page.text


def test_minutes_written_finished_and_listed(db: Session, w: SigningWorld,
                                            make_browser: Any) -> None:
    meeting: MediationSession = add_session(db, w.case, w.mediator, w.world.applicant)
    meeting.status, meeting.started_at = SessionStatus.ENDED, utcnow() - dt.timedelta(hours=1)
    meeting.ended_at = utcnow()
    db.commit()
    mediator = _login(make_browser, w.mediator.phone)
    url = f"/cases/{w.case.number}/sessions/{meeting.id}/minutes"
    assert mediator.get(url).status_code == 200
    saved = mediator.submit(url, {"action": "save", "statements": "张三陈述", "process": "",
                                  "outcome": "达成一致", "recorder": "王调解"})
    assert saved.status_code == 303 and "张三陈述" in mediator.get(url).text
    finished = mediator.submit(url, {"action": "finish", "statements": "张三陈述",
                                     "outcome": "达成一致", "include_chat": "on"})
    assert finished.status_code == 303
    assert finished.headers["location"].startswith(f"/cases/{w.case.number}/documents/")
    applicant = _login(make_browser, w.world.applicant.phone)
    case_page = applicant.get(f"/cases/{w.case.number}")
    assert 'id="minutes"' in case_page.text
    assert f'{finished.headers["location"]}#sign' in case_page.text  # the applicant signs first
    assert applicant.get(url).status_code == 403
    assert mediator.submit(url, {"action": "nonsense"}).status_code == 400


def test_the_case_page_offers_drafting_in_the_panel_not_as_a_bare_action(
        w: SigningWorld, make_browser: Any) -> None:
    mediator = _login(make_browser, w.mediator.phone)
    page = mediator.get(f"/cases/{w.case.number}").text
    assert 'id="agreement"' in page and f"/cases/{w.case.number}/agreement/edit" in page
    assert 'value="draft_agreement"' not in page
