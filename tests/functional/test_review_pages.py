"""The review, consent and mediator forms on the case page; the holiday calendar page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases.models import Case, CaseEvent, MediatorChoice
from portal.cases.states import Status, Trigger
from portal.deadlines.models import Holiday
from tests.factories import BodyFactory, UserFactory, review_world
from tests.functional.conftest import Browser


def _browser(make_browser: Any, phone: str) -> Browser:
    browser: Browser = make_browser()
    browser.login(phone)
    browser.get("/lang/en")
    return browser


def _case(db: Session, case: Case) -> Case:
    db.expire_all()
    found = db.get(Case, case.id)
    assert found is not None
    return found


def _submitted(db: Session) -> dict:
    from portal.cases import services as cases

    w = review_world(db)
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    db.commit()
    return w


def test_declining_without_a_reason_is_refused_in_place(db: Session, make_browser: Any) -> None:
    w = _submitted(db)
    number = w["case"].number
    boss = _browser(make_browser, w["boss"].phone)
    page = boss.get(f"/cases/{number}").text
    # The generic list does not repeat the triggers that have their own forms.
    assert 'name="trigger" value="accept"' not in page and "/review/decline" in page
    refused = boss.submit(f"/cases/{number}/review/decline", {"form": "decline",
                                                               "reason": "  "})
    assert refused.status_code == 400
    assert "Tell the applicant why the case is declined" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _case(db, w["case"]).status is Status.SUBMITTED
    assert db.execute(select(CaseEvent).where(CaseEvent.trigger == Trigger.DECLINE)).first() \
        is None
    done = boss.submit(f"/cases/{number}/review/decline", {"form": "decline",
                                                            "reason": "不属于本会受理范围"})
    assert done.status_code == 303
    assert _case(db, w["case"]).status is Status.DECLINED
    # Acting again answers 409 with the current status.
    again = boss.submit(f"/cases/{number}/review/accept", {"form": "accept"})
    assert again.status_code == 409 and "Declined" in again.text


def test_the_applicant_takes_a_declined_case_to_another_body(db: Session,
                                                             make_browser: Any) -> None:
    from portal.cases import review

    w = _submitted(db)
    case = w["case"]
    review.decline(db, case=case, actor=w["boss"], reason="不属于本会受理范围")
    db.commit()
    other = BodyFactory(name="市劳动争议调解中心", dispute_types=["labour"])
    applicant = _browser(make_browser, w["applicant"].phone)
    assert "/another-body" in applicant.get(f"/cases/{case.number}").text
    page = applicant.get(f"/cases/{case.number}/another-body")
    assert page.status_code == 200 and other.name in page.text
    assert f'value="{case.body_id}"' not in page.text  # not the body that declined
    missing = applicant.submit(f"/cases/{case.number}/another-body", {"note": "请受理"})
    assert missing.status_code == 400 and "Choose a mediation body" in missing.text
    assert "请受理" in missing.text
    sent = applicant.submit(f"/cases/{case.number}/another-body",
                            {"body_id": str(other.id)})
    assert sent.status_code == 303
    found = _case(db, case)
    assert (found.status, found.body_id) == (Status.SUBMITTED, other.id)
    # Once it is with the new body there is nothing to choose any more.
    assert "not waiting for a new body" in applicant.get(
        f"/cases/{case.number}/another-body").text


def test_a_dispatcher_refers_a_case_to_the_city(db: Session, make_browser: Any) -> None:
    w = _submitted(db)
    city = BodyFactory(name="市人民调解委员会")
    dispatcher = _browser(make_browser, w["dispatcher"].phone)
    number = w["case"].number
    assert city.name in dispatcher.get(f"/cases/{number}").text
    bad = dispatcher.submit(f"/cases/{number}/review/refer",
                            {"form": "refer", "body_id": str(city.id), "reason": ""})
    assert bad.status_code == 400 and f'value="{city.id}" selected' in bad.text
    # A number no row id can be is no body: a form error, not a failed query.
    huge = dispatcher.submit(f"/cases/{number}/review/refer",
                             {"form": "refer", "body_id": "9" * 25, "reason": "涉及多个村"})
    assert huge.status_code == 400
    assert _case(db, w["case"]).body_id == w["case"].body_id
    assert dispatcher.submit(f"/cases/{number}/review/refer", {
        "form": "refer", "body_id": str(city.id), "reason": "涉及多个村"}).status_code == 303
    assert _case(db, w["case"]).body_id == city.id


def test_parties_choose_a_mediator_together(db: Session, make_browser: Any) -> None:
    from portal.cases import services as cases

    w = _submitted(db)
    case = w["case"]
    respondent = UserFactory(name="李四")
    w["respondent"].user_id = respondent.id
    db.commit()
    for trigger, actor in [(Trigger.ACCEPT, w["boss"]), (Trigger.CONTACT_RESPONDENT, w["boss"]),
                           (Trigger.RESPONDENT_AGREE, respondent)]:
        cases.transition(db, case=case, trigger=trigger, actor=actor)
    db.commit()
    mediator_id = str(w["mediator"].id)
    for phone in (w["applicant"].phone, respondent.phone):
        party = _browser(make_browser, phone)
        assert "Your choice of mediator" in party.get(f"/cases/{case.number}").text
        assert party.submit(f"/cases/{case.number}/mediator/choose", {
            "form": "choose", "mediator_id": mediator_id}).status_code == 303
    assert len(db.execute(select(MediatorChoice)).all()) == 2
    found = _case(db, case)
    assert (found.status, found.mediator_id) == (Status.MEDIATOR_ASSIGNED, w["mediator"].id)
    # A party may then ask for another mediator, with a reason the body sees.
    party = _browser(make_browser, respondent.phone)
    assert party.submit(f"/cases/{case.number}/mediator/change",
                        {"form": "change", "reason": ""}).status_code == 400
    assert party.submit(f"/cases/{case.number}/mediator/change",
                        {"form": "change", "reason": "调解员与申请人相识"}).status_code == 303
    boss = _browser(make_browser, w["boss"].phone)
    assert "调解员与申请人相识" in boss.get(f"/cases/{case.number}").text


def test_unknown_respondent_links_are_refused(browser: Browser) -> None:
    browser.get("/lang/en")
    response = browser.get("/respond/not-a-real-token-at-all")
    assert response.status_code == 404 and "This link is not valid" in response.text
    assert browser.submit("/respond/not-a-real-token-at-all/code").status_code == 404


def test_the_admin_keeps_the_holiday_calendar(db: Session, make_browser: Any) -> None:
    admin = _browser(make_browser, UserFactory(role=Role.ADMIN).phone)
    page = admin.get("/admin/holidays?year=2026")
    assert page.status_code == 200 and "No holidays are set for 2026" in page.text
    bad = admin.submit("/admin/holidays", {"day": "2026-12-02", "name": "补班",
                                           "is_workday": "yes"})
    assert bad.status_code == 400 and "Only a Saturday or Sunday" in bad.text
    assert 'value="补班"' in bad.text
    assert admin.submit("/admin/holidays", {"day": "", "name": ""}).status_code == 400
    assert admin.submit("/admin/holidays", {"day": "2026-12-05", "name": "调休上班",
                                            "is_workday": "yes"}).status_code == 303
    row = db.execute(select(Holiday)).scalar_one()
    assert row.is_workday and row.day.isoformat() == "2026-12-05"
    row_id = row.id
    listing = admin.get("/admin/holidays?year=2026").text
    assert "调休上班" in listing and "data-confirm" in listing
    assert admin.submit("/admin/holidays/delete", {"holiday_id": str(row_id)}).status_code == 303
    db.expire_all()
    assert db.execute(select(Holiday)).first() is None
    assert admin.submit("/admin/holidays/delete", {"holiday_id": str(row_id)}).status_code == 404
    # Only the system administrator manages it.
    boss = _browser(make_browser, UserFactory(role=Role.BODY_ADMIN).phone)
    assert boss.get("/admin/holidays").status_code == 403
