import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.cases import services as cases
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Actor, IllegalTransition, Status, Trigger
from portal.db import session_scope
from portal.notifications.models import Notification
from tests.factories import BodyFactory, CaseFactory, UserFactory, add_respondent


@pytest.fixture
def setup(db: Session) -> dict:
    body = BodyFactory()
    applicant = UserFactory()
    respondent = UserFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    mediator = UserFactory(role=Role.MEDIATOR, body_id=body.id)
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=body.area_id)
    add_respondent(db, case, respondent)
    return dict(body=body, applicant=applicant, respondent=respondent, boss=boss,
                mediator=mediator, case=case)


def test_case_numbers_are_readable_and_sequential(db: Session) -> None:
    numbers = [cases.next_case_number(db, 2026) for _ in range(3)]
    assert numbers == ["FQ-2026-000001", "FQ-2026-000002", "FQ-2026-000003"]
    assert cases.next_case_number(db, 2027) == "FQ-2027-000001"
    assert all(re.fullmatch(r"FQ-\d{4}-\d{6}", n) for n in numbers)


def test_concurrent_numbering_never_repeats(db: Session) -> None:
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            with session_scope() as s:
                n = cases.next_case_number(s, 2030)
            with lock:
                results.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and len(set(results)) == 20


def test_transition_moves_records_audits_and_notifies(db: Session, setup: dict) -> None:
    case = setup["case"]
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=setup["applicant"],
                             reason=" ready ")
    db.commit()  # eager Celery runs the notification task after this commit
    assert case.status is Status.SUBMITTED
    assert (event.from_status, event.to_status, event.actor_role) == (
        Status.DRAFT, Status.SUBMITTED, "applicant")
    assert event.reason == "ready"
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "case.submit")).scalar_one()
    assert entry.subject == f"case:{case.number}" and f'"event":{event.id}' in entry.data
    recipients = set(db.execute(select(Notification.user_id)
                                .where(Notification.event_id == event.id)).scalars())
    assert recipients == {setup["respondent"].id, setup["boss"].id}
    assert audit.verify(db).ok


def test_illegal_transition_raises_and_writes_nothing(db: Session, setup: dict) -> None:
    with pytest.raises(IllegalTransition):
        cases.transition(db, case=setup["case"], trigger=Trigger.ACCEPT, actor=setup["boss"])
    db.rollback()
    assert db.execute(select(func.count()).select_from(CaseEvent)).scalar_one() == 0
    assert setup["case"].status is Status.DRAFT


def test_wrong_actor_not_allowed(db: Session, setup: dict) -> None:
    case = setup["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=setup["applicant"])
    for outsider in (setup["applicant"], setup["respondent"], setup["mediator"],
                     UserFactory(role=Role.BODY_ADMIN, body_id=BodyFactory().id)):
        with pytest.raises(cases.NotAllowed):
            cases.transition(db, case=case, trigger=Trigger.ACCEPT, actor=outsider)
    cases.transition(db, case=case, trigger=Trigger.ACCEPT, actor=setup["boss"])
    assert case.status is Status.ACCEPTED


def test_system_fires_timers_only(db: Session, setup: dict) -> None:
    case = setup["case"]
    with pytest.raises(cases.NotAllowed):
        cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=None)
    case.status = Status.AWAITING_RESPONDENT
    event = cases.transition(db, case=case, trigger=Trigger.RESPONDENT_TIMEOUT, actor=None)
    assert event.actor_role == Actor.SYSTEM and case.status is Status.MEDIATION_FAILED


def test_stale_status_is_refused(db: Session, setup: dict) -> None:
    """Two people act on the same case at once: the second sees a conflict."""
    case = setup["case"]
    with session_scope() as other:
        theirs = other.get(Case, case.id)
        assert theirs is not None
        cases.transition(other, case=theirs, trigger=Trigger.WITHDRAW,
                         actor=other.merge(setup["applicant"]), reason="settled privately")
    with pytest.raises(IllegalTransition):
        cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=setup["applicant"])


def test_act_requires_reason_and_mediator(db: Session, setup: dict) -> None:
    case = setup["case"]
    with pytest.raises(cases.MissingInput) as err:
        cases.act(db, case=case, trigger=Trigger.WITHDRAW, actor=setup["applicant"])
    assert err.value.field == "reason"
    case.status = Status.RESPONDENT_AGREED
    with pytest.raises(cases.MissingInput):
        cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=setup["boss"],
                  mediator_id=UserFactory(role=Role.MEDIATOR).id)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=setup["boss"],
              mediator_id=setup["mediator"].id)
    assert case.mediator_id == setup["mediator"].id
    assert case.status is Status.MEDIATOR_ASSIGNED


def test_available_triggers_per_person(db: Session, setup: dict) -> None:
    case = setup["case"]
    assert cases.available_triggers(db, case, setup["applicant"]) == [Trigger.SUBMIT,
                                                                       Trigger.WITHDRAW]
    assert cases.available_triggers(db, case, setup["respondent"]) == []
    assert cases.available_triggers(db, case, setup["boss"]) == []
