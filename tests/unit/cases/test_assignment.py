"""Appointing the mediator: joint choice, assignment, the mediator's answer, changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.cases import assignment
from portal.cases import services as cases
from portal.cases.models import AssignmentStatus, Case, MediatorAssignment
from portal.cases.states import IllegalTransition, Status, Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.notifications.models import Notification
from tests.factories import UserFactory, review_world


@pytest.fixture
def world(db: Session) -> dict:
    """A case whose respondent (with an account) has just agreed to mediation."""
    w = review_world(db)
    w["respondent_user"] = UserFactory(name="李四")
    w["respondent"].user_id = w["respondent_user"].id
    db.commit()
    case, boss = w["case"], w["boss"]
    for trigger, actor in [(Trigger.SUBMIT, w["applicant"]), (Trigger.ACCEPT, boss),
                           (Trigger.CONTACT_RESPONDENT, boss),
                           (Trigger.RESPONDENT_AGREE, w["respondent_user"])]:
        cases.transition(db, case=case, trigger=trigger, actor=actor)
    db.commit()
    return w


def _notices(db: Session, user: User) -> list[str]:
    db.expire_all()
    return list(db.execute(select(Notification.message).where(
        Notification.user_id == user.id, Notification.event_id.is_(None))).scalars())


def test_a_joint_choice_assigns_the_mediator(db: Session, world: dict) -> None:
    case, mediator = world["case"], world["mediator"]
    assert assignment.choose(db, case=case, actor=world["applicant"],
                             mediator_id=mediator.id) is None
    assert case.status is Status.RESPONDENT_AGREED
    event = assignment.choose(db, case=case, actor=world["respondent_user"],
                              mediator_id=mediator.id)
    db.commit()
    assert event is not None and event.actor_id is None  # the system assigns
    assert (case.status, case.mediator_id) == (Status.MEDIATOR_ASSIGNED, mediator.id)
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.chosen_by_parties and row.status is AssignmentStatus.PENDING
    answer_by = deadlines.current(db, case.id, DeadlineKind.MEDIATOR_ANSWER)
    assert answer_by is not None and row.due_at == answer_by.due_at
    assert deadlines.current(db, case.id, DeadlineKind.CHOOSE_MEDIATOR) is None


def test_different_choices_leave_it_to_the_body(db: Session, world: dict) -> None:
    case = world["case"]
    assignment.choose(db, case=case, actor=world["applicant"],
                      mediator_id=world["mediator"].id)
    assert assignment.choose(db, case=case, actor=world["respondent_user"],
                             mediator_id=world["mediator2"].id) is None
    db.commit()
    assert case.status is Status.RESPONDENT_AGREED
    assert len(_notices(db, world["boss"])) == 1
    # The body assigns one of them; it was not the parties' joint choice.
    assignment.assign(db, case=case, actor=world["boss"], mediator_id=world["mediator2"].id)
    db.commit()
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert not row.chosen_by_parties and case.mediator_id == world["mediator2"].id


def test_choices_are_checked(db: Session, world: dict) -> None:
    case = world["case"]
    with pytest.raises(cases.MissingInput):
        assignment.choose(db, case=case, actor=world["applicant"],
                          mediator_id=UserFactory().id)  # not a mediator of this body
    with pytest.raises(cases.NotAllowed):
        assignment.choose(db, case=case, actor=world["boss"], mediator_id=world["mediator"].id)
    window = deadlines.current(db, case.id, DeadlineKind.CHOOSE_MEDIATOR)
    assert window is not None
    with pytest.raises(cases.MissingInput) as err:
        assignment.choose(db, case=case, actor=world["applicant"],
                          mediator_id=world["mediator"].id, now=window.due_at)
    assert "over" in err.value.message


def test_the_mediator_must_declare_no_conflict_to_accept(db: Session, world: dict) -> None:
    case, mediator = world["case"], world["mediator"]
    assignment.assign(db, case=case, actor=world["boss"], mediator_id=mediator.id)
    with pytest.raises(cases.MissingInput) as err:
        assignment.answer(db, case=case, actor=mediator, accept=True, no_conflict=False)
    assert err.value.field == "no_conflict"
    with pytest.raises(cases.NotAllowed):
        assignment.answer(db, case=case, actor=world["mediator2"], accept=True,
                          no_conflict=True)
    event = assignment.answer(db, case=case, actor=mediator, accept=True, no_conflict=True)
    db.commit()
    assert event is not None and case.status is Status.IN_MEDIATION
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.status is AssignmentStatus.ACCEPTED and row.responded_at is not None
    assert deadlines.current(db, case.id, DeadlineKind.MEDIATION_END) is not None


def test_a_declared_conflict_is_a_decline(db: Session, world: dict) -> None:
    case, mediator, boss = world["case"], world["mediator"], world["boss"]
    assignment.assign(db, case=case, actor=boss, mediator_id=mediator.id)
    assert assignment.answer(db, case=case, actor=mediator, accept=True, no_conflict=True,
                             conflict="申请人是我的表弟") is None
    db.commit()
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert (row.status, row.conflict_note) == (AssignmentStatus.DECLINED, "申请人是我的表弟")
    assert case.mediator_id is None and case.status is Status.MEDIATOR_ASSIGNED
    assert deadlines.current(db, case.id, DeadlineKind.ASSIGN_MEDIATOR) is not None
    assert len(_notices(db, boss)) == 1
    # The one who declined cannot be assigned again; a reason is needed to reassign.
    with pytest.raises(cases.MissingInput):
        assignment.assign(db, case=case, actor=boss, mediator_id=mediator.id, reason="再试")
    with pytest.raises(cases.MissingInput) as err:
        assignment.assign(db, case=case, actor=boss, mediator_id=world["mediator2"].id)
    assert err.value.field == "reason"
    assignment.assign(db, case=case, actor=boss, mediator_id=world["mediator2"].id,
                      reason="原调解员回避")
    db.commit()
    assert case.mediator_id == world["mediator2"].id
    assert case.events[-1].trigger is Trigger.REASSIGN_MEDIATOR
    assert deadlines.current(db, case.id, DeadlineKind.ASSIGN_MEDIATOR) is None


def test_declining_needs_a_reason_and_time(db: Session, world: dict) -> None:
    case, mediator = world["case"], world["mediator"]
    assignment.assign(db, case=case, actor=world["boss"], mediator_id=mediator.id)
    with pytest.raises(cases.MissingInput) as err:
        assignment.answer(db, case=case, actor=mediator, accept=False, no_conflict=False)
    assert err.value.field == "reason"
    row = db.execute(select(MediatorAssignment)).scalar_one()
    with pytest.raises(cases.MissingInput):
        assignment.answer(db, case=case, actor=mediator, accept=True, no_conflict=True,
                          now=row.due_at + dt.timedelta(seconds=1))


def test_a_party_may_ask_for_another_mediator(db: Session, world: dict) -> None:
    case = world["case"]
    with pytest.raises(IllegalTransition):
        assignment.request_change(db, case=case, actor=world["applicant"], reason="x")
    assignment.assign(db, case=case, actor=world["boss"], mediator_id=world["mediator"].id)
    with pytest.raises(cases.MissingInput):
        assignment.request_change(db, case=case, actor=world["applicant"], reason=" ")
    assignment.request_change(db, case=case, actor=world["respondent_user"],
                              reason="调解员与申请人相识")
    db.commit()
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.change_request == "调解员与申请人相识"
    assert row.change_requested_by_id == world["respondent_user"].id
    assert len(_notices(db, world["boss"])) == 1


def test_the_generic_action_path_records_the_appointment(db: Session, world: dict) -> None:
    """Assigning through ``cases.act`` and starting with the generic button also work."""
    case = world["case"]
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=world["boss"],
              mediator_id=world["mediator"].id)
    cases.transition(db, case=case, trigger=Trigger.START_MEDIATION, actor=world["mediator"])
    db.commit()
    row = db.execute(select(MediatorAssignment)).scalar_one()
    assert row.status is AssignmentStatus.ACCEPTED
    assert assignment.pending_for(db, world["mediator"].id) == []
    assert db.get(Case, case.id).status is Status.IN_MEDIATION  # type: ignore[union-attr]
    assert utcnow() >= row.created_at
