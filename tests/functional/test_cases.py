from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status
from portal.notifications.models import Notification
from tests.factories import BodyFactory, UserFactory, add_respondent, complete_draft
from tests.functional.conftest import Browser


def test_party_files_body_accepts_and_timeline_shows_it(db: Session, make_browser) -> None:
    body = BodyFactory(name="枫桥镇人民调解委员会")
    party = UserFactory(name="张三")
    respondent = UserFactory(name="李四")
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id, name="李主任")

    applicant: Browser = make_browser()
    applicant.login(party.phone)
    empty = applicant.get("/cases")
    assert "暂无案件" in empty.text
    # An old link to the quick form lands on the guided application.
    assert applicant.get("/cases/new", follow_redirects=False).headers["location"] == "/apply"
    case = complete_draft(db, party, body)
    number = case.number
    assert case.status is Status.DRAFT and case.body_id == body.id
    add_respondent(db, case, respondent)

    # The case page's submit action leads to the review page, which checks the consents.
    go = applicant.submit(f"/cases/{number}/act", {"trigger": "submit"})
    assert go.headers["location"] == f"/apply/{number}/review"
    done = applicant.submit(f"/apply/{number}/review",
                            {"consent_online": "yes", "consent_service": "yes"})
    assert done.status_code == 303, done.text

    staff: Browser = make_browser()
    staff.login(boss.phone)
    assert number in staff.get("/cases").text
    assert staff.submit(f"/cases/{number}/act", {"trigger": "accept",
                                                 "reason": "属于本会受理范围"}).status_code == 303
    timeline = applicant.get(f"/cases/{number}").text
    assert "属于本会受理范围" in timeline and "李主任" in timeline
    db.expire_all()
    assert db.get(Case, case.id).status is Status.ACCEPTED  # type: ignore[union-attr]
    events = db.execute(select(CaseEvent.trigger).where(CaseEvent.case_id == case.id)
                        .order_by(CaseEvent.id)).scalars().all()
    assert [e.value for e in events] == ["submit", "accept"]
    # The applicant was told the case moved on, in their notifications.
    notes = db.execute(select(Notification).where(Notification.user_id == party.id)).scalars()
    assert [n.link for n in notes] == [f"/cases/{number}"]
    assert number in applicant.get("/notifications").text
    assert audit.verify(db).ok


def test_bad_actions_get_clear_errors_and_change_nothing(db: Session, make_browser) -> None:
    body = BodyFactory()
    party = UserFactory()
    browser: Browser = make_browser()
    browser.login(party.phone)
    number = complete_draft(db, party, body).number
    # Withdrawing needs a reason; without one nothing happens and the page says why.
    response = browser.submit(f"/cases/{number}/act", {"trigger": "withdraw"})
    assert response.status_code == 303
    assert "请填写理由" in browser.get(f"/cases/{number}").text
    # An action that the state machine forbids answers 409 with the current status.
    conflict = browser.submit(f"/cases/{number}/act", {"trigger": "docket"})
    assert conflict.status_code in (403, 409)
    unknown = browser.submit(f"/cases/{number}/act", {"trigger": "explode"})
    assert unknown.status_code == 400
    db.expire_all()
    assert db.execute(select(Case.status)).scalar_one() is Status.DRAFT
    assert db.execute(select(CaseEvent)).first() is None


def test_case_list_paginates(db: Session, make_browser) -> None:
    from tests.factories import CaseFactory

    party = UserFactory()
    for _ in range(23):
        CaseFactory(applicant=party)
    browser: Browser = make_browser()
    browser.login(party.phone)
    first = browser.get("/cases").text
    assert "第 1 页，共 2 页" in first
    second = browser.get("/cases?page=2").text
    assert second.count("/cases/FQ-") == 3
    assert browser.get("/cases?page=abc").status_code == 200
