"""The beat task: what happens when a deadline passes (time frozen with time-machine)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.cases import assignment, review
from portal.cases import services as cases
from portal.cases.models import AssignmentStatus, MediatorAssignment, RespondentInvite
from portal.cases.states import Status, Trigger
from portal.deadlines import expiry, tasks
from portal.deadlines import services as deadlines
from portal.deadlines.models import Deadline, DeadlineKind
from portal.dispatch.models import OrderStep, WorkOrder
from portal.notifications.models import Notification, OutboundMessage
from tests.factories import UserFactory, review_world

MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _notices(db: Session, user: User) -> list[str]:
    db.expire_all()
    return list(db.execute(select(Notification.message)
                           .where(Notification.user_id == user.id)).scalars())


@pytest.fixture
def world(db: Session) -> dict:
    return review_world(db)


def _due(db: Session, kind: DeadlineKind) -> dt.datetime:
    return db.execute(select(Deadline.due_at).where(Deadline.kind == kind)).scalar_one()


def test_no_answer_from_the_respondent_ends_mediation(db: Session, world: dict) -> None:
    case = world["case"]
    with time_machine.travel(MONDAY, tick=False):
        cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
        review.accept(db, case=case, actor=world["boss"])
        db.commit()
    due = _due(db, DeadlineKind.RESPONDENT)  # end of Thursday 3 December
    before = set(db.execute(select(OutboundMessage.id)).scalars())
    assert expiry.scan(db, now=due - dt.timedelta(seconds=1)) == 0
    with time_machine.travel(due + dt.timedelta(minutes=5), tick=False):
        assert tasks.scan() == 1
        assert tasks.scan() == 0  # idempotent: the deadline is closed
    db.expire_all()
    assert case.status is Status.MEDIATION_FAILED
    event = case.events[-1]
    assert (event.trigger, event.actor_id, event.actor_role) == (
        Trigger.RESPONDENT_TIMEOUT, None, "system")
    deadline = db.execute(select(Deadline).where(
        Deadline.kind == DeadlineKind.RESPONDENT)).scalar_one()
    assert deadline.outcome == "expired"
    invite = db.execute(select(RespondentInvite)).scalar_one()
    assert invite.used_at is not None and invite.answer is None
    # The applicant hears of it in the portal and by SMS.
    assert "Mediation in case {number} has ended without agreement. You may file the case " \
           "with a court." in _notices(db, world["applicant"])
    texts = db.execute(select(OutboundMessage.body).where(
        OutboundMessage.recipient == world["applicant"].phone,
        OutboundMessage.id.not_in(before))).scalars().all()
    assert len(texts) == 1 and case.number in texts[0]


def test_an_unreviewed_case_alerts_the_body_and_the_dispatchers(db: Session,
                                                                world: dict) -> None:
    """A case from before the order loop (no work order) is only pointed out to people."""
    case = world["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
    db.execute(delete(OrderStep))
    db.execute(delete(WorkOrder))
    db.commit()
    due = _due(db, DeadlineKind.ACCEPT)
    assert expiry.scan(db, now=due + dt.timedelta(hours=1)) == 1
    db.commit()
    assert case.status is Status.SUBMITTED
    for person in (world["boss"], world["dispatcher"]):
        assert any("not reviewed" in m for m in _notices(db, person)), person.role
    assert not any("not reviewed" in m for m in _notices(db, world["mediator"]))
    assert expiry.scan(db, now=due + dt.timedelta(hours=2)) == 0


def test_an_unreviewed_order_is_left_to_dispatch_tracking(db: Session, world: dict) -> None:
    case = world["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
    db.commit()
    due = _due(db, DeadlineKind.ACCEPT)
    assert expiry.scan(db, now=due + dt.timedelta(hours=1)) == 1  # closed as expired
    db.commit()
    assert case.status is Status.SUBMITTED
    assert not any("not reviewed" in m for m in _notices(db, world["boss"]))


def test_a_mediator_who_does_not_answer_is_taken_off(db: Session, world: dict) -> None:
    case, boss = world["case"], world["boss"]
    respondent = UserFactory()
    world["respondent"].user_id = respondent.id
    db.commit()
    for trigger, actor in [(Trigger.SUBMIT, world["applicant"]), (Trigger.ACCEPT, boss),
                           (Trigger.CONTACT_RESPONDENT, boss),
                           (Trigger.RESPONDENT_AGREE, respondent)]:
        cases.transition(db, case=case, trigger=trigger, actor=actor)
    assignment.assign(db, case=case, actor=boss, mediator_id=world["mediator"].id)
    db.commit()
    due = _due(db, DeadlineKind.MEDIATOR_ANSWER)
    # The parties' window to choose ends first; the body is reminded to assign. Then the
    # mediator's time runs out.
    handled = expiry.scan(db, now=due + dt.timedelta(minutes=1))
    db.commit()
    assert handled >= 1
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.status is AssignmentStatus.DECLINED and row.responded_at is None
    assert case.mediator_id is None and case.status is Status.MEDIATOR_ASSIGNED
    assert any("did not answer" in m for m in _notices(db, boss))
    assert deadlines.current(db, case.id, DeadlineKind.ASSIGN_MEDIATOR) is not None
    assert assignment.pending_for(db, world["mediator"].id) == []


def test_one_failing_deadline_does_not_block_the_others(
        db: Session, world: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    case = world["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
    db.commit()

    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(expiry.HANDLERS, DeadlineKind.ACCEPT, explode)
    due = _due(db, DeadlineKind.ACCEPT)
    assert expiry.scan(db, now=due + dt.timedelta(hours=1)) == 0
    db.commit()
    assert db.execute(select(Deadline.closed_at)).scalar_one() is None  # tried again later
