import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.cases import application
from portal.cases.application_fields import Errors, StepInvalid, amount
from portal.cases.models import (
    Case,
    CaseClaim,
    CaseCounter,
    CaseEvent,
    CaseParticipant,
    ParticipantRole,
    PartyKind,
)
from portal.cases.states import Status
from portal.db import session_scope
from tests.factories import (
    ID_NUMBERS,
    BodyFactory,
    UserFactory,
    application_values,
    complete_draft,
)

KEY = "k" * 32


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def _errors(excinfo: pytest.ExceptionInfo[StepInvalid]) -> set[str]:
    return set(excinfo.value.errors)


def _draft(db: Session) -> Case:
    case = application.start(db, applicant=UserFactory(), create_key=KEY,
                             values=application_values("type"))
    db.commit()
    return case


def test_first_step_creates_one_draft_per_key(db: Session) -> None:
    user = UserFactory(name="张三")
    first = application.start(db, applicant=user, create_key=KEY,
                              values=application_values("type"))
    db.commit()
    again = application.start(db, applicant=user, create_key=KEY,
                              values=application_values("type", title="别的标题"))
    db.commit()
    assert again.id == first.id and again.title == "拖欠三个月工资"
    assert _count(db, Case) == 1
    assert db.execute(select(CaseCounter.last)).scalar_one() == 1
    assert first.status is Status.DRAFT and first.wizard_step == "parties"
    assert [(p.role, p.user_id) for p in first.participants] == [
        (ParticipantRole.APPLICANT, user.id)]


def test_concurrent_first_steps_with_one_key_make_one_case(db: Session) -> None:
    user = UserFactory()
    numbers: list[str] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        barrier.wait()
        with session_scope() as session:
            applicant = session.get(type(user), user.id)
            assert applicant is not None
            numbers.append(application.start(session, applicant=applicant, create_key=KEY,
                                              values=application_values("type")).number)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == 2 and numbers[0] == numbers[1]
    assert _count(db, Case) == 1


def test_invalid_first_step_writes_nothing(db: Session) -> None:
    with pytest.raises(StepInvalid) as err:
        application.start(db, applicant=UserFactory(), create_key=KEY,
                          values={"dispute_type": "explosives", "title": " ", "area_id": "99"})
    assert _errors(err) == {"dispute_type", "title", "area_id"}
    db.rollback()
    assert _count(db, Case) == 0 and _count(db, AuditEntry) == 0 and _count(db, CaseCounter) == 0


@pytest.mark.parametrize("key", ["", "short", "bad key with spaces!!", "x" * 65])
def test_malformed_create_key_is_refused(db: Session, key: str) -> None:
    with pytest.raises(StepInvalid) as err:
        application.start(db, applicant=UserFactory(), create_key=key,
                          values=application_values("type"))
    assert _errors(err) == {"create_key"}


def test_another_users_key_does_not_hand_over_their_draft(db: Session) -> None:
    _draft(db)
    with pytest.raises(StepInvalid) as err:
        application.start(db, applicant=UserFactory(), create_key=KEY,
                          values=application_values("type"))
    assert _errors(err) == {"create_key"}


def test_applicant_and_agent_are_saved_and_the_agent_removed_again(db: Session) -> None:
    case = _draft(db)
    application.save_step(db, case=case, step="parties", values=application_values(
        "parties", **{"g-name": "王律师", "g-phone": "13700137000", "g-relation": "lawyer",
                      "g-id_number": ID_NUMBERS[2].lower()}))
    db.commit()
    own = application.applicant_participant(case)
    assert own is not None and own.id_number == ID_NUMBERS[1] and own.name == "张三"
    agent = next(p for p in case.participants if p.role is ParticipantRole.AGENT)
    assert (agent.represents_id, agent.relation, agent.id_number) == (
        own.id, "lawyer", ID_NUMBERS[2])
    assert case.wizard_step == "respondents"
    application.save_step(db, case=case, step="parties", values=application_values("parties"))
    db.commit()
    assert [p.role for p in case.participants] == [ParticipantRole.APPLICANT]


def test_organisation_applicant_needs_credit_code_and_representative(db: Session) -> None:
    case = _draft(db)
    values = application_values("parties", **{"a-kind": "organisation", "a-name": "某合作社",
                                              "a-id_number": "91110000600037341X"})
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="parties", values=values)
    assert _errors(err) == {"a-id_number", "a-legal_representative"}
    values.update({"a-id_number": "91110000600037341L", "a-legal_representative": "李四"})
    application.save_step(db, case=case, step="parties", values=values)
    own = application.applicant_participant(case)
    assert own is not None and own.kind is PartyKind.ORGANISATION
    assert own.legal_representative == "李四"


def test_bad_parties_step_names_each_field_and_writes_nothing(db: Session) -> None:
    case = _draft(db)
    values = application_values("parties", **{
        "a-id_number": ID_NUMBERS[1][:-1] + "0", "a-phone": "12345", "a-email": "not-mail",
        "a-kind": "robot", "g-name": "王五"})
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="parties", values=values)
    assert _errors(err) == {"a-id_number", "a-phone", "a-email", "a-kind", "g-phone",
                            "g-relation"}
    assert "check digit" in err.value.errors["a-id_number"][0]
    db.rollback()
    db.expire_all()
    own = application.applicant_participant(db.get(Case, case.id))  # type: ignore[arg-type]
    assert own is not None and own.id_number is None
    assert db.get(Case, case.id).wizard_step == "parties"  # type: ignore[union-attr]


def test_respondents_rows_are_checked_added_and_removed(db: Session) -> None:
    case = _draft(db)
    rows = {**application_values("respondents"),
            "r-3-kind": "person", "r-3-name": "李四", "r-3-phone": "",
            "r-3-id_number": "123",
            "r-7-kind": "person"}  # an empty row that was added and never filled
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="respondents", values=rows)
    assert _errors(err) == {"r-3-phone", "r-3-id_number"}
    assert _count(db, CaseParticipant) == 1
    rows.update({"r-3-phone": "13600136000", "r-3-id_number": ID_NUMBERS[0]})
    application.save_step(db, case=case, step="respondents", values=rows)
    db.commit()
    names = [p.name for p in case.participants if p.role is ParticipantRole.RESPONDENT]
    assert names == ["某服装有限公司", "李四"]
    application.save_step(db, case=case, step="respondents",
                          values=application_values("respondents"))
    db.commit()
    assert _count(db, CaseParticipant) == 2


def test_at_least_one_respondent(db: Session) -> None:
    case = _draft(db)
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="respondents", values={"r-0-kind": "person"})
    assert _errors(err) == {"respondents"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("3500", Decimal("3500.00")), ("3,500.5", Decimal("3500.50")), ("0.01", Decimal("0.01")),
    ("9999999999.99", Decimal("9999999999.99")), ("", None)])
def test_amounts_that_pass(raw: str, expected: Decimal | None) -> None:
    errs = Errors()
    assert amount({"a": raw}, "a", errs) == expected
    assert not errs


@pytest.mark.parametrize(("raw", "message"), [
    ("-5", "more than zero"), ("--5", "such as 3500"), ("abc", "such as 3500"),
    ("1e5", "such as 3500"), ("NaN", "such as 3500"), ("0", "more than zero"),
    ("1.234", "two decimal places"), ("10000000000", "must not exceed")])
def test_amounts_that_fail(raw: str, message: str) -> None:
    errs = Errors()
    amount({"a": raw}, "a", errs)
    assert message in errs.found["a"][0]


def test_claims_and_facts_are_checked_and_replaced(db: Session) -> None:
    case = _draft(db)
    bad = {"c-0-description": "", "c-0-amount": "12", "c-1-description": "赔偿",
           "c-1-amount": "1.999", "summary": "太短"}
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="claims", values=bad)
    assert _errors(err) == {"c-0-description", "c-1-amount", "summary"}
    assert _count(db, CaseClaim) == 0
    assert err.value.errors["summary"][1] == {"n": "20"}
    too_long = application_values("claims", summary="事" * 4001)
    with pytest.raises(StepInvalid) as err:
        application.save_step(db, case=case, step="claims", values=too_long)
    assert _errors(err) == {"summary"}
    two = {**application_values("claims"), "c-1-description": "赔礼道歉"}
    application.save_step(db, case=case, step="claims", values=two)
    db.commit()
    assert [(c.position, c.amount) for c in case.claims] == [(0, Decimal("12000.50")), (1, None)]
    application.save_step(db, case=case, step="claims", values=application_values("claims"))
    db.commit()
    assert _count(db, CaseClaim) == 1 and case.summary.startswith("2026年3月")


def test_body_and_mediator_choice(db: Session) -> None:
    case = _draft(db)
    body, other, closed = BodyFactory(), BodyFactory(), BodyFactory(is_active=False)
    theirs = UserFactory(role=Role.MEDIATOR, body_id=other.id)
    ours = UserFactory(role=Role.MEDIATOR, body_id=body.id)
    for values, fields in [({"body_id": str(closed.id)}, {"body_id"}),
                           ({"body_id": "x"}, {"body_id"}),
                           ({"body_id": str(body.id), "mediator_id": str(theirs.id)},
                            {"mediator_id"})]:
        with pytest.raises(StepInvalid) as err:
            application.save_step(db, case=case, step="body", values=values)
        assert _errors(err) == fields
    assert case.body_id is None
    application.save_step(db, case=case, step="body",
                          values={"body_id": str(body.id), "mediator_id": str(ours.id)})
    assert (case.body_id, case.preferred_mediator_id, case.area_id) == (
        body.id, ours.id, body.area_id)


def test_submit_needs_every_step_and_both_consents(db: Session) -> None:
    user = UserFactory()
    case = application.start(db, applicant=user, create_key=KEY,
                             values=application_values("type"))
    with pytest.raises(StepInvalid) as err:
        application.submit(db, case=case, actor=user, values={"consent_online": "on"})
    assert _errors(err) == {"step-parties", "step-respondents", "step-claims", "step-body",
                            "consent_service"}
    assert case.status is Status.DRAFT and not case.consent_online
    assert _count(db, CaseEvent) == 0


def test_submit_once_then_the_same_receipt(db: Session) -> None:
    user = UserFactory()
    case = complete_draft(db, user, BodyFactory())
    with pytest.raises(StepInvalid) as err:
        application.submit(db, case=case, actor=user, values={})
    assert _errors(err) == {"consent_online", "consent_service"}
    assert application.submit(db, case=case, actor=user, values=application_values("review"))
    db.commit()
    submitted_at = case.submitted_at
    assert case.status is Status.SUBMITTED and submitted_at is not None
    assert case.consent_online and case.consent_service
    assert not application.submit(db, case=case, actor=user,
                                  values=application_values("review"))
    db.commit()
    assert case.submitted_at == submitted_at and _count(db, CaseEvent) == 1
    with pytest.raises(application.NotADraft):
        application.save_step(db, case=case, step="claims", values=application_values("claims"))


def test_only_the_applicant_can_load_the_draft(db: Session) -> None:
    case = _draft(db)
    owner = case.applicant
    assert application.load_own(db, number=case.number, user=owner).id == case.id
    for user in (UserFactory(), UserFactory(role=Role.ADMIN)):
        with pytest.raises(application.DraftNotFound):
            application.load_own(db, number=case.number, user=user)
    with pytest.raises(application.DraftNotFound):
        application.load_own(db, number="FQ-1999-000001", user=owner)


def test_resume_step_follows_the_furthest_step(db: Session) -> None:
    user = UserFactory()
    case = complete_draft(db, user, BodyFactory())
    assert application.resume_step(case) == "review"
    application.save_step(db, case=case, step="type", values=application_values("type"))
    assert application.resume_step(case) == "review"
    case.wizard_step = "nonsense"
    assert application.resume_step(case) == "type"
