import re
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import Level
from portal.cases.models import Case, CaseClaim, CaseEvent, ParticipantRole
from portal.cases.states import Status
from tests.factories import (
    ID_NUMBERS,
    AreaFactory,
    BodyFactory,
    UserFactory,
    application_values,
    complete_draft,
)
from tests.functional.conftest import Browser

CREATE_KEY = re.compile(r'name="create_key" value="([A-Za-z0-9_-]+)"')


def _party(make_browser: Any, **kw: Any) -> tuple[Any, Browser]:
    user = UserFactory(**kw)
    browser: Browser = make_browser()
    browser.get("/lang/en")
    browser.login(user.phone)
    return user, browser


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def _field_error(html: str, name: str) -> str:
    """The error text shown next to field ``name``; fails if the field is not marked."""
    field = re.search(rf'<(?:input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert field is not None, name
    assert 'aria-invalid="true"' in field.group(0), name
    assert f'aria-describedby="e-{name}"' in field.group(0) or f"e-{name}\"" in field.group(0)
    message = re.search(rf'id="e-{re.escape(name)}"[^>]*>([^<]+)<', html)
    assert message is not None, name
    return message.group(1)


def test_walk_through_every_step_and_submit(db: Session, make_browser: Any) -> None:
    area = AreaFactory(name="枫桥镇")
    body = BodyFactory(name="枫桥镇劳动争议调解委员会", area=area, level=Level.TOWN,
                       dispute_types=["labour"], address="枫桥镇政府一楼")
    mediator = UserFactory(role=Role.MEDIATOR, body_id=body.id, name="陈调解员")
    _user, browser = _party(make_browser, name="张三", phone="13800138000",
                           id_number=ID_NUMBERS[1])

    start = browser.get("/apply")
    assert start.status_code == 200 and 'aria-current="step"' in start.text
    key = CREATE_KEY.search(start.text).group(1)  # type: ignore[union-attr]
    first = {**application_values("type", area_id=str(area.id)), "create_key": key}
    created = browser.submit("/apply", first)
    assert created.status_code == 303
    location = created.headers["location"]
    number = re.fullmatch(r"/apply/(FQ-\d{4}-\d{6})/parties", location).group(1)  # type: ignore[union-attr]
    # The same form sent again (a double click, a reload) gives the same draft.
    assert browser.submit("/apply", first).headers["location"] == location
    assert _count(db, Case) == 1

    parties = browser.get(location).text
    assert 'value="张三"' in parties and 'value="13800138000"' in parties
    assert f'value="{ID_NUMBERS[1]}"' in parties
    assert browser.submit(location, application_values("parties")).headers["location"] == (
        f"/apply/{number}/respondents")

    step = f"/apply/{number}/respondents"
    added = browser.submit(step, {**application_values("respondents"), "add": "r"})
    assert added.status_code == 200 and 'name="r-1-name"' in added.text
    assert 'value="某服装有限公司"' in added.text
    two = {**application_values("respondents"), "r-1-kind": "person", "r-1-name": "王老板",
           "r-1-phone": "13700137000", "r-1-id_number": ID_NUMBERS[0], "nav": "next"}
    assert browser.submit(step, two).headers["location"] == f"/apply/{number}/claims"

    claims = {**application_values("claims"), "c-1-description": "赔礼道歉", "c-1-amount": ""}
    assert browser.submit(f"/apply/{number}/claims", claims).status_code == 303
    assert browser.get(f"/apply/{number}/evidence").status_code == 200
    assert browser.submit(f"/apply/{number}/evidence", {"nav": "next"}).headers[
        "location"] == f"/apply/{number}/body"

    choose = browser.get(f"/apply/{number}/body").text
    assert "枫桥镇劳动争议调解委员会" in choose and "Handles this type of dispute" in choose
    assert "Located in your area (枫桥镇)" in choose and "陈调解员" in choose
    assert browser.submit(f"/apply/{number}/body", {
        "body_id": str(body.id), "mediator_id": str(mediator.id)}).headers["location"] == (
        f"/apply/{number}/review")

    review = browser.get(f"/apply/{number}/review").text
    for text in ("王老板", "某服装有限公司", "12,000.50", "赔礼道歉", "陈调解员",
                 "Labour and wage arrears", f'href="/apply/{number}/respondents"'):
        assert text in review, text
    refused = browser.submit(f"/apply/{number}/review", {"consent_online": "on"})
    assert refused.status_code == 400
    assert "Electronic service" in _field_error(refused.text, "consent_service")
    assert _count(db, CaseEvent) == 0

    done = browser.submit(f"/apply/{number}/review", application_values("review"))
    assert done.headers["location"] == f"/apply/{number}/receipt"
    receipt = browser.get(done.headers["location"]).text
    assert number in receipt and "枫桥镇劳动争议调解委员会" in receipt
    assert "What happens next" in receipt and "Application received" in receipt
    # A second Submit shows the same receipt and changes nothing.
    again = browser.submit(f"/apply/{number}/review", application_values("review"))
    assert again.headers["location"] == f"/apply/{number}/receipt"
    case = db.execute(select(Case).where(Case.number == number)).scalar_one()
    assert case.status is Status.SUBMITTED and case.submitted_at is not None
    assert case.body_id == body.id and case.preferred_mediator_id == mediator.id
    assert case.area_id == area.id and _count(db, CaseEvent) == 1
    roles = sorted(p.role.value for p in case.participants)
    assert roles == ["applicant", "respondent", "respondent"]
    assert [c.amount for c in case.claims] == [Decimal("12000.50"), None]
    # The submitted application cannot be edited through the form any more.
    assert browser.get(f"/apply/{number}/claims", follow_redirects=False).headers[
        "location"] == f"/apply/{number}/receipt"
    assert browser.submit(f"/apply/{number}/claims", claims).status_code == 409


def test_errors_keep_the_input_mark_the_fields_and_write_nothing(
        db: Session, make_browser: Any) -> None:
    user, browser = _party(make_browser)
    empty = browser.submit("/apply", {"create_key": "k" * 32, "title": "工资",
                                      "dispute_type": "nonsense"})
    assert empty.status_code == 400
    assert "Choose a dispute type" in _field_error(empty.text, "dispute_type")
    assert 'value="工资"' in empty.text and _count(db, Case) == 0
    case = complete_draft(db, user, BodyFactory())
    number = case.number

    bad = application_values("parties", **{"a-id_number": ID_NUMBERS[1][:-1] + "0",
                                           "a-address": "我的地址"})
    page = browser.submit(f"/apply/{number}/parties", bad)
    assert page.status_code == 400
    assert "check digit" in _field_error(page.text, "a-id_number")
    assert 'value="我的地址"' in page.text and 'href="#f-a-id_number"' in page.text

    rows = {**application_values("respondents"), "r-1-kind": "person", "r-1-name": "李四"}
    page = browser.submit(f"/apply/{number}/respondents", rows)
    assert page.status_code == 400 and "required" in _field_error(page.text, "r-1-phone")
    assert 'value="李四"' in page.text

    claims = application_values("claims", **{"c-0-amount": "-3"})
    page = browser.submit(f"/apply/{number}/claims", claims)
    assert page.status_code == 400
    assert "more than zero" in _field_error(page.text, "c-0-amount")
    page = browser.submit(f"/apply/{number}/body", {"body_id": "999999"})
    assert page.status_code == 400 and "Choose a mediation body" in page.text

    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None
    respondents = [p.name for p in fresh.participants if p.role is ParticipantRole.RESPONDENT]
    assert respondents == ["某服装有限公司"]
    assert [c.amount for c in fresh.claims] == [Decimal("12000.50")]
    assert fresh.participants[0].address == "枫桥镇新街1号"


def test_rows_are_added_and_removed_without_javascript(db: Session, make_browser: Any) -> None:
    user, browser = _party(make_browser)
    case = complete_draft(db, user, BodyFactory())
    step = f"/apply/{case.number}/claims"
    values = {**application_values("claims"), "c-1-description": "第二项", "add": "c"}
    page = browser.submit(step, values).text
    assert 'name="c-2-description"' in page and 'value="12000.50"' in page
    removed = browser.submit(step, {**application_values("claims"),
                                    "c-1-description": "第二项", "remove": "0"}).text
    assert 'name="c-0-description"' not in removed and "第二项" in removed
    assert _count(db, CaseClaim) == 1  # nothing is saved until Next


def test_save_and_finish_later_then_resume_from_my_cases(db: Session, make_browser: Any) -> None:
    _, browser = _party(make_browser)
    key = CREATE_KEY.search(browser.get("/apply").text).group(1)  # type: ignore[union-attr]
    later = browser.submit("/apply", {**application_values("type"), "create_key": key,
                                      "nav": "later"})
    assert later.headers["location"] == "/cases"
    number = db.execute(select(Case.number)).scalar_one()
    listing = browser.get("/cases").text
    assert "Your draft is saved" in listing
    assert f'href="/apply/{number}/parties"' in listing and "Continue application" in listing


def test_strangers_and_staff_cannot_open_a_draft(db: Session, make_browser: Any) -> None:
    owner = UserFactory()
    case = complete_draft(db, owner, BodyFactory())
    _, stranger = _party(make_browser)
    for step in ("type", "parties", "respondents", "claims", "evidence", "body", "review",
                 "receipt"):
        assert stranger.get(f"/apply/{case.number}/{step}").status_code == 404, step
    assert stranger.submit(f"/apply/{case.number}/claims",
                           application_values("claims")).status_code == 404
    assert stranger.submit(f"/apply/{case.number}/review",
                           application_values("review")).status_code == 404
    admin = make_browser()
    admin.login(UserFactory(role=Role.ADMIN).phone)
    assert admin.get(f"/apply/{case.number}/parties").status_code == 403
    db.expire_all()
    assert db.get(Case, case.id).status is Status.DRAFT  # type: ignore[union-attr]


def test_old_new_case_link_and_draft_receipt(db: Session, make_browser: Any) -> None:
    user, browser = _party(make_browser)
    page = browser.get("/cases/new")
    assert page.status_code == 200 and 'action="/apply"' in page.text
    assert CREATE_KEY.search(page.text) is not None
    assert 'href="/apply"' in browser.get("/cases").text
    case = complete_draft(db, user, BodyFactory())
    receipt = browser.get(f"/apply/{case.number}/receipt").text
    assert "Not submitted yet" in receipt and f'href="/apply/{case.number}/review"' in receipt
