"""One case walked by the people who act on it: applicant, body, respondent, mediator."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.models import (
    AssignmentStatus,
    Case,
    MediatorAssignment,
    ParticipantRole,
    PartyKind,
    RespondentInvite,
)
from portal.cases.states import Status
from portal.deadlines import tasks as deadline_tasks
from portal.deadlines.models import Deadline, DeadlineKind
from portal.notifications.models import Notification, OutboundMessage
from tests.factories import (
    ID_NUMBERS,
    add_evidence,
    application_values,
    complete_draft,
    review_world,
)
from tests.functional.conftest import Browser

RESPONDENT_PHONE = "13700001111"


def _status(db: Session, case: Case) -> Status:
    db.expire_all()
    found = db.get(Case, case.id)
    assert found is not None
    return found.status


def _link_from_outbox(browser: Browser, number: str) -> str:
    """The respondent's link, as the development SMS outbox page shows it."""
    page = html.unescape(browser.get("/dev/sms").text)
    found = re.findall(r"https?://[^\s<]+/respond/([A-Za-z0-9_-]+)", page)
    assert found and number in page
    return found[0]


def _code_from_outbox(browser: Browser) -> str:
    page = html.unescape(browser.get("/dev/sms").text)
    match = re.search(rf"{RESPONDENT_PHONE}.*?(\d{{6}})", page, re.S)
    assert match is not None
    return match.group(1)


def _world(db: Session, *, id_number: str | None = None) -> dict:
    """Staff, and an application filled in through the application form's service."""
    w = review_world(db)
    case = complete_draft(db, w["applicant"], w["body"])
    respondent = next(p for p in case.participants if p.role is ParticipantRole.RESPONDENT)
    respondent.kind, respondent.name = PartyKind.PERSON, "李四"
    respondent.phone, respondent.id_number = RESPONDENT_PHONE, id_number
    db.commit()
    w["case"] = case
    w["applicant_phone"] = next(p.phone for p in case.participants
                                if p.role is ParticipantRole.APPLICANT)
    return w


def _submit_and_accept(db: Session, make_browser: Any, w: dict) -> tuple[Browser, Browser]:
    case = w["case"]
    applicant: Browser = make_browser()
    applicant.login(w["applicant"].phone)
    assert applicant.submit(f"/apply/{case.number}/review",
                            application_values("review")).status_code == 303
    assert _status(db, case) is Status.SUBMITTED
    boss: Browser = make_browser()
    boss.login(w["boss"].phone)
    boss.get("/lang/en")
    page = boss.get(f"/cases/{case.number}")
    assert "Review of the application" in page.text and "Time limits" in page.text
    assert boss.submit(f"/cases/{case.number}/review/accept", {"form": "accept"}
                       ).status_code == 303
    assert _status(db, case) is Status.AWAITING_RESPONDENT
    return applicant, boss


def test_a_case_from_submission_to_mediation(db: Session, make_browser: Any) -> None:
    w = _world(db, id_number=ID_NUMBERS[2])
    case = w["case"]
    evidence = add_evidence(db, case, w["applicant"])
    applicant, boss = _submit_and_accept(db, make_browser, w)

    # The respondent opens the link from the SMS, proves who they are, reads, agrees.
    respondent: Browser = make_browser()
    respondent.get("/lang/en")
    token = _link_from_outbox(respondent, case.number)
    page = respondent.get(f"/respond/{token}")
    assert page.status_code == 200 and "Confirm your identity" in page.text
    assert "137****1111" in page.text
    sent = respondent.submit(f"/respond/{token}/code")
    assert sent.status_code == 200 and "A code was sent" in sent.text
    code = _code_from_outbox(respondent)
    wrong = respondent.submit(f"/respond/{token}/verify", {
        "name": "李四", "id_last4": "0000", "code": code})
    assert wrong.status_code == 400 and "do not match" in wrong.text
    assert 'value="李四"' in wrong.text  # what was typed is kept
    verified = respondent.submit(f"/respond/{token}/verify", {
        "name": "李四", "id_last4": ID_NUMBERS[2][-4:], "code": code})
    assert verified.status_code == 303
    application = respondent.get(f"/respond/{token}")
    assert application.status_code == 200 and "Application for mediation" in application.text
    assert evidence.sha256 in application.text and "支付拖欠的工资" in application.text
    download = respondent.get(f"/cases/{case.number}/evidence/{evidence.id}")
    assert download.status_code == 200
    agreed = respondent.submit(f"/respond/{token}/answer", {"decision": "agree"})
    assert agreed.status_code == 303 and agreed.headers["location"] == f"/cases/{case.number}"
    assert _status(db, case) is Status.RESPONDENT_AGREED
    reused = respondent.get(f"/respond/{token}")
    assert reused.status_code == 410 and "already been used" in reused.text
    # The account the link opened has no password yet; the respondent sets one.
    assert "Set a password to log in later" in respondent.get(f"/cases/{case.number}").text
    password = "river-stone-lantern-42"
    mismatch = respondent.submit(f"/cases/{case.number}/consent/password", {
        "form": "password", "password": password, "password2": password + "x"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    assert password not in mismatch.text  # passwords are never echoed
    assert respondent.submit(f"/cases/{case.number}/consent/password", {
        "form": "password", "password": password, "password2": password}).status_code == 303
    make_browser().login(RESPONDENT_PHONE, password)

    # The body assigns a mediator; the mediator accepts, declaring no conflict.
    missing = boss.submit(f"/cases/{case.number}/mediator/assign", {"form": "assign"})
    assert missing.status_code == 400 and "Choose a mediator of this body." in missing.text
    assert boss.submit(f"/cases/{case.number}/mediator/assign", {
        "form": "assign", "mediator_id": str(w["mediator"].id)}).status_code == 303
    assert _status(db, case) is Status.MEDIATOR_ASSIGNED

    mediator: Browser = make_browser()
    mediator.login(w["mediator"].phone)
    mediator.get("/lang/en")
    assert case.number in mediator.get("/assignments").text
    unticked = mediator.submit(f"/cases/{case.number}/mediator/answer",
                               {"form": "answer", "decision": "accept"})
    assert unticked.status_code == 400 and "no conflict of interest" in unticked.text
    assert mediator.submit(f"/cases/{case.number}/mediator/answer", {
        "form": "answer", "decision": "accept", "no_conflict": "yes"}).status_code == 303
    assert _status(db, case) is Status.IN_MEDIATION
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.status is AssignmentStatus.ACCEPTED

    # Everyone sees the same timeline, with its time limits.
    applicant.get("/lang/en")
    timeline = applicant.get(f"/cases/{case.number}").text
    for text in ("Agree to mediation", "Start mediation", "Time limit met",
                 "Mediation ends (30 days unless the parties extend it)"):
        assert text in timeline, text
    kinds = db.execute(select(Deadline.kind, Deadline.outcome)
                       .order_by(Deadline.id)).all()
    assert [k for k, _ in kinds] == [
        DeadlineKind.ACCEPT, DeadlineKind.RESPONDENT, DeadlineKind.CHOOSE_MEDIATOR,
        DeadlineKind.ASSIGN_MEDIATOR, DeadlineKind.MEDIATOR_ANSWER, DeadlineKind.MEDIATION_END]
    assert [o for _, o in kinds][:-1] == ["met"] * 5
    # The applicant was told at each step that needed it.
    notes = db.execute(select(Notification).where(
        Notification.user_id == w["applicant"].id)).scalars().all()
    assert len(notes) >= 4


def test_the_respondent_does_not_answer_in_time(db: Session, make_browser: Any) -> None:
    w = _world(db)
    case = w["case"]
    start = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tuesday, 10:00 in Shanghai
    with time_machine.travel(start, tick=True):
        _submit_and_accept(db, make_browser, w)
    token_page = make_browser()
    token = _link_from_outbox(token_page, case.number)
    due = db.execute(select(Deadline.due_at).where(
        Deadline.kind == DeadlineKind.RESPONDENT)).scalar_one()
    invite = db.execute(select(RespondentInvite)).scalar_one()
    assert invite.expires_at == due

    with time_machine.travel(due - dt.timedelta(minutes=1), tick=True):
        assert deadline_tasks.scan() == 0
        assert _status(db, case) is Status.AWAITING_RESPONDENT
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=True):
        # The link is refused once the time is over, even before the beat task runs.
        late: Browser = make_browser()
        late.get("/lang/en")
        expired = late.get(f"/respond/{token}")
        assert expired.status_code == 410 and "expired" in expired.text
        assert deadline_tasks.scan() == 1
        assert _status(db, case) is Status.MEDIATION_FAILED

        applicant: Browser = make_browser()
        applicant.login(w["applicant"].phone)
        applicant.get("/lang/en")
        page = applicant.get(f"/cases/{case.number}").text
        assert "did not answer within 3 working days, so mediation has ended" in page
        assert "Filing with the court online" in page
    notes = db.execute(select(Notification.message).where(
        Notification.user_id == w["applicant"].id)).scalars().all()
    assert any("has ended without agreement" in n for n in notes)
    texts = db.execute(select(OutboundMessage.body).where(
        OutboundMessage.recipient == w["applicant_phone"])).scalars().all()
    assert len(texts) == 3  # accepted, respondent invited, mediation ended
