"""One agreement drafted, commented, revised and signed through the pages by three parties
(one of them at the mediator's device), the mediator and the body; then checked at /verify."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements.models import SignableDocument
from portal.cases.models import Case
from portal.cases.states import Status
from tests.functional.conftest import Browser
from tests.unit.agreements.support import (
    THIRD_PHONE,
    SigningWorld,
    data_url,
    last_code,
    signing_world,
)

DRAFT = {"facts": "申请人在被申请人处工作三个月，工资未付。",
         "terms": "被申请人支付工资。\n双方再无其他争议。",
         "breach_clause": "逾期未付的，按日万分之五支付违约金。",
         "s-0-due": "2026-07-31", "s-0-amount": "12000", "s-0-payer": "李四",
         "s-0-payee": "张三", "s-0-method": "银行转账"}


def _status(db: Session, case: Case) -> Status:
    db.expire_all()
    return db.get(Case, case.id).status  # type: ignore[union-attr]


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match is not None, f"no {name} on the page"
    return match.group(1)


def _sign(browser: Browser, db: Session, url: str, phone: str, *, seal: bool = False) -> None:
    page = browser.get(url).text
    signer_id = _hidden(page, "signer_id")
    assert browser.submit(f"{url}/code", {"signer_id": signer_id}).status_code == 303
    page = browser.get(url).text  # what the signer sees: the hash of the current file
    form = {"signer_id": signer_id, "sha256": _hidden(page, "sha256"),
            "code": last_code(db, phone)}
    if not seal:
        form["signature"] = data_url()
    response = browser.submit(f"{url}/sign", form)
    assert response.status_code == 303, response.text


@pytest.fixture
def w(db: Session) -> SigningWorld:
    return signing_world(db)


def _login(make_browser: Any, phone: str) -> Browser:
    browser: Browser = make_browser()
    browser.login(phone)
    return browser


def test_draft_revise_sign_and_verify(db: Session, w: SigningWorld, make_browser: Any) -> None:
    number = w.case.number
    base = f"/cases/{number}/agreement"
    mediator = _login(make_browser, w.mediator.phone)
    applicant = _login(make_browser, w.world.applicant.phone)
    respondent = _login(make_browser, w.world.respondent.phone)
    boss = _login(make_browser, w.boss.phone)

    editor = mediator.get(f"{base}/edit")
    assert editor.status_code == 200 and "李四、钱五" in editor.text  # the labour template
    assert mediator.submit(f"{base}/edit", DRAFT).headers["location"] == f"{base}?version=1"
    assert _status(db, w.case) is Status.AGREEMENT_DRAFTED

    assert applicant.submit(f"{base}/comments",
                            {"version": "1", "text": "请写明付款账户"}).status_code == 303
    assert "请写明付款账户" in respondent.get(base).text
    refused = mediator.submit(f"{base}/edit", {**DRAFT, "s-0-amount": "11000"})
    assert refused.status_code == 400  # a revision says what changed
    revised = mediator.submit(f"{base}/edit", {**DRAFT, "s-0-amount": "11000",
                                               "note": "按双方意见调整金额"})
    assert revised.headers["location"] == f"{base}?version=2"
    compared = applicant.get(f"{base}/compare?a=1&b=2")
    assert 'data-change="schedule"' in compared.text and "11,000.00" in compared.text

    assert mediator.submit(f"{base}/open").status_code == 303
    assert _status(db, w.case) is Status.SIGNING
    document = db.execute(select(SignableDocument)).scalar_one()
    url = f"/cases/{number}/documents/{document.id}"
    assert f"{url}#sign" in applicant.get(f"/cases/{number}").text  # the panel's button
    assert f"{url}#sign" not in respondent.get(f"/cases/{number}").text

    # The respondent cannot go first.
    page = respondent.get(url).text
    assert 'name="signature"' not in page
    early = respondent.submit(f"{url}/code", {"signer_id": str(document.signers[1].id)})
    assert early.status_code == 409 and "张三" in early.text

    _sign(applicant, db, url, w.world.applicant_party.phone)
    _sign(respondent, db, url, w.world.respondent_party.phone)
    assert "钱五" in mediator.get(url).text
    _sign(mediator, db, url, THIRD_PHONE)  # 钱五 has no account: at the mediator's device
    _sign(mediator, db, url, w.mediator.phone)
    _sign(boss, db, url, w.boss.phone, seal=True)
    assert _status(db, w.case) is Status.AGREEMENT_IN_EFFECT

    pdf = applicant.get(f"{url}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    signed = pdf.content

    checker: Browser = make_browser()
    checked = checker.post("/verify", data={"csrftoken": checker.csrf()},
                           files={"file": ("协议.pdf", signed, "application/pdf")})
    assert checked.status_code == 200
    assert 'id="result" data-ok="true"' in checked.text
    assert checked.text.count('data-intact="true" data-trusted="true"') == 5
    assert 'data-found="true"' in checked.text

    flipped = bytearray(signed)
    position = signed.index(b"stream") + 40  # inside the first page's content
    flipped[position] ^= 0x01
    checked = checker.post("/verify", data={"csrftoken": checker.csrf()},
                           files={"file": ("协议.pdf", bytes(flipped), "application/pdf")})
    assert 'data-ok="false"' in checked.text and 'data-intact="false"' in checked.text
    assert 'data-found="false"' in checked.text


def test_verify_refuses_what_is_not_a_pdf(browser: Browser) -> None:
    page = browser.get("/verify")
    assert page.status_code == 200
    response = browser.post("/verify", data={"csrftoken": browser.csrf()},
                            files={"file": ("协议.pdf", b"GIF89a not a pdf", "application/pdf")})
    assert response.status_code == 400 and 'id="verify-error"' in response.text
    broken = browser.post("/verify", data={"csrftoken": browser.csrf()},
                          files={"file": ("x.pdf", b"%PDF-1.7\n garbage", "application/pdf")})
    assert broken.status_code == 400 and 'id="verify-error"' in broken.text
    empty = browser.post("/verify", data={"csrftoken": browser.csrf()},
                         files={"file": ("x.pdf", b"", "application/pdf")})
    assert empty.status_code == 400
