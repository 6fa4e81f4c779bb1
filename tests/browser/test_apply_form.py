"""A party fills in the whole online application in a real browser and gets a receipt."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import Level
from portal.cases.models import Case, EvidenceFile, ParticipantRole
from portal.cases.states import Status
from portal.config import get_settings
from portal.web.routes import routes
from tests.factories import ID_NUMBERS, PASSWORD, AreaFactory, BodyFactory, UserFactory

pytestmark = pytest.mark.browser

# The smallest well-formed PDF: one empty page.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _upload_exists() -> bool:
    return any(getattr(r, "path", None) == "/cases/{number}/evidence"
               for r in routes(get_settings()))


def _next(page: Any) -> None:
    page.click(".wizard-nav button[name=nav][value=next]")


def test_party_fills_in_and_submits_the_application(
        db: Session, live_server: str, chromium: Any) -> None:
    area = AreaFactory(name="枫桥镇")
    body = BodyFactory(name="枫桥镇人民调解委员会", area=area, level=Level.TOWN,
                       dispute_types=["labour"])
    mediator = UserFactory(role=Role.MEDIATOR, body_id=body.id, name="陈调解员")
    party = UserFactory(name="张三", id_number=ID_NUMBERS[1])

    context = chromium.new_context(base_url=live_server, locale="en-GB",
                                   viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/lang/en")
    page.goto("/login")
    page.fill("[name=phone]", party.phone)
    page.fill("[name=password]", PASSWORD)
    page.click("form[action='/login'] button, main form button")
    page.wait_for_url(re.compile(r"/(cases)?$"))

    page.goto("/cases")
    page.click("a[href='/apply']")
    page.wait_for_url("**/apply")
    page.select_option("[name=dispute_type]", "labour")
    page.fill("[name=title]", "拖欠三个月工资")
    page.select_option("[name=area_id]", str(area.id))
    _next(page)

    page.wait_for_url(re.compile(r"/apply/FQ-\d{4}-\d{6}/parties$"))
    number = page.url.rsplit("/", 2)[1]
    assert page.input_value("[name='a-name']") == "张三"
    assert page.input_value("[name='a-id_number']") == ID_NUMBERS[1]
    # apply.js shows the legal representative only for an organisation.
    assert page.is_hidden("[name='a-legal_representative']")
    page.check("#f-a-kind-organisation")
    assert page.is_visible("[name='a-legal_representative']")
    page.check("#f-a-kind-person")
    page.fill("[name='a-address']", "枫桥镇新街1号")
    _next(page)

    page.wait_for_url(f"**/apply/{number}/respondents")
    page.check("#f-r-0-kind-organisation")
    page.fill("[name='r-0-name']", "某服装有限公司")
    page.fill("[name='r-0-phone']", "13900139000")
    page.fill("[name='r-0-legal_representative']", "王老板")
    page.click("button[name=add]")
    page.wait_for_selector("[name='r-1-name']")
    assert page.input_value("[name='r-0-name']") == "某服装有限公司"
    page.check("#f-r-1-kind-person")
    page.fill("[name='r-1-name']", "王五")
    page.fill("[name='r-1-phone']", "13700137000")
    page.fill("[name='r-1-id_number']", ID_NUMBERS[0])
    _next(page)

    page.wait_for_url(f"**/apply/{number}/claims")
    page.fill("[name='c-0-description']", "支付拖欠的工资")
    page.fill("[name='c-0-amount']", "12000.50")
    page.fill("[name=summary]", "2026年3月至5月在该公司工作，公司一直未发工资，多次催要无果。")
    _next(page)

    page.wait_for_url(f"**/apply/{number}/evidence")
    uploaded = _upload_exists()
    if uploaded:
        form = page.locator(f"form[action='/cases/{number}/evidence']")
        form.locator("textarea[name=description]").fill("工资条和劳动合同")
        form.locator("input[type=file]").set_input_files(
            {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": PDF})
        form.locator("button").click()
        page.wait_for_url(f"**/apply/{number}/evidence")
        assert page.locator("text=contract.pdf").count() >= 1
    _next(page)

    page.wait_for_url(f"**/apply/{number}/body**")
    assert page.locator("text=Handles this type of dispute").count() >= 1
    page.check(f"#b-{body.id}")
    page.select_option("[name=mediator_id]", str(mediator.id))
    _next(page)

    page.wait_for_url(f"**/apply/{number}/review")
    assert page.locator("text=王五").count() >= 1
    assert page.locator("text=12,000.50").count() >= 1
    page.check("[name=consent_online]")
    page.check("[name=consent_service]")
    page.click("button[value=submit]")

    page.wait_for_url(f"**/apply/{number}/receipt")
    shown = page.inner_text(".case-number")
    assert re.fullmatch(r"FQ-\d{4}-\d{6}", shown) and shown == number
    assert page.is_visible("[data-print]")
    context.close()

    db.expire_all()
    case = db.execute(select(Case).where(Case.number == number)).scalar_one()
    assert case.status is Status.SUBMITTED and case.submitted_at is not None
    assert case.body_id == body.id and case.preferred_mediator_id == mediator.id
    respondents = [p.name for p in case.participants if p.role is ParticipantRole.RESPONDENT]
    assert respondents == ["某服装有限公司", "王五"]
    files = db.execute(select(EvidenceFile).where(EvidenceFile.case_id == case.id)).scalars()
    assert [f.original_name for f in files] == (["contract.pdf"] if uploaded else [])
