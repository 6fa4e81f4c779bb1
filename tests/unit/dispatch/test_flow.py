"""The order follows its case: an online application from submission to closing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.bodies.models import Level
from portal.cases import review
from portal.cases import services as cases
from portal.cases.services import DEDICATED, NotAllowed
from portal.cases.states import Status, Trigger
from portal.dispatch import services
from portal.dispatch.models import Outcome, Source, Step, WorkOrder
from portal.filing import decisions
from portal.filing import services as filing
from portal.notifications.models import Notification
from tests.factories import BodyFactory, UserFactory, make_report, review_world
from tests.unit.filing.support import notice


@pytest.fixture
def app(db: Session) -> dict[str, Any]:
    w = review_world(db)
    w["case"].court_name = "诸暨市人民法院"
    w["clerk"] = UserFactory(role=Role.COURT_CLERK, court_name="诸暨市人民法院")
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    db.commit()
    w["order"] = db.execute(select(WorkOrder)).scalar_one()
    return w


def _steps(order: WorkOrder) -> list[Step]:
    return [s.step for s in order.steps]


def test_decline_goes_to_the_centre_and_the_party_may_choose_again(
        db: Session, app: dict[str, Any]) -> None:
    order, case = app["order"], app["case"]
    assert (order.source, order.step, order.owner_body_id) == (
        Source.APPLICATION, Step.ACCEPT, app["body"].id)
    review.decline(db, case=case, actor=app["boss"], reason="不属本会受理范围")
    db.commit()
    assert (order.step, order.owner_area_id) == (Step.DISPATCH, app["area"].id)
    assert db.execute(select(Notification.id).where(
        Notification.user_id == app["dispatcher"].id)).first() is not None
    village = BodyFactory(level=Level.VILLAGE, dispute_types=["labour"], area=app["area"])
    review.resubmit(db, case=case, actor=app["applicant"], body_id=village.id)
    db.commit()
    # A party's own choice may be lower than the body it left.
    assert (order.step, order.owner_body_id, order.level) == (
        Step.ACCEPT, village.id, Level.VILLAGE)
    assert _steps(order) == [Step.ACCEPT, Step.DISPATCH, Step.ACCEPT]


def test_the_case_end_opens_the_follow_up_and_later_steps_reopen_handling(
        db: Session, app: dict[str, Any]) -> None:
    order, case, boss = app["order"], app["case"], app["boss"]
    review.accept(db, case=case, actor=boss)
    assert order.step is Step.HANDLE
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=app["mediator"].id)
    for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
        cases.transition(db, case=case, trigger=trigger, actor=app["mediator"])
    assert order.step is Step.HANDLE
    cases.transition(db, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
    assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.AGREEMENT)
    # The parties apply jointly; the court's signed decision confirms.
    app["respondent"].user_id = UserFactory().id
    assert filing.apply_for_confirmation(db, case=case, user=app["applicant"],
                                         court_id="zhuji") is None
    joint = filing.apply_for_confirmation(db, case=case, user=db.get(
        User, app["respondent"].user_id), court_id="zhuji")
    assert joint is not None
    assert (order.step, order.outcome) == (Step.HANDLE, None)
    decisions.apply_token(db, notice(joint, "accepted"))
    db.commit()
    assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.CONFIRMED)
    assert _steps(order) == [Step.ACCEPT, Step.HANDLE, Step.FOLLOW_UP, Step.HANDLE,
                             Step.FOLLOW_UP]
    moves = db.execute(select(AuditEntry.data).where(AuditEntry.action == "order.step")
                       ).scalars().all()
    assert len(moves) == 4 and '"from":"accept"' in moves[0] and '"to":"handle"' in moves[0]


def test_a_failed_mediation_and_a_court_filing(db: Session, app: dict[str, Any]) -> None:
    order, case, boss = app["order"], app["case"], app["boss"]
    review.accept(db, case=case, actor=boss)
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_REFUSE, actor=boss, reason="不同意")
    assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.FAILED)
    filing.request_filing(db, case=case, user=app["applicant"], court_id="zhuji")
    assert order.step is Step.HANDLE
    db.commit()


def test_a_referral_by_the_centre_never_goes_down(db: Session, world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"])
    services.dispatch(db, order=order, body_id=world["town_body"].id,
                      actor=world["town_dispatcher"])
    assert order.level is Level.TOWN  # dispatched above its level: it is now a town order
    review.refer(db, case=order.case, actor=world["town_admin"],
                 body_id=world["village_body"].id, reason="村里更合适")
    db.commit()
    assert (order.step, order.owner_body_id, order.level) == (
        Step.ACCEPT, world["village_body"].id, Level.TOWN)


@pytest.mark.parametrize("trigger", sorted(DEDICATED))
def test_the_order_loop_triggers_are_not_bare_case_actions(
        db: Session, app: dict[str, Any], trigger: Trigger) -> None:
    actor = {Trigger.RETURN: app["boss"], Trigger.TRANSFER: app["boss"],
             Trigger.CLOSE: app["boss"]}.get(trigger, app["dispatcher"])
    with pytest.raises(NotAllowed):
        cases.act(db, case=app["case"], trigger=trigger, actor=actor, reason="x")
    db.rollback()
    assert app["case"].status is Status.SUBMITTED and app["order"].step is Step.ACCEPT
    for user in (app["boss"], app["dispatcher"], app["applicant"]):
        assert trigger not in cases.available_triggers(db, app["case"], user)


def test_events_on_a_case_without_an_order_are_left_alone(db: Session) -> None:
    w = review_world(db)
    cases.transition(db, case=w["case"], trigger=Trigger.WITHDRAW, actor=w["applicant"],
                     reason="不申请了")
    db.commit()
    assert db.execute(select(WorkOrder)).first() is None


def test_a_case_with_no_area_and_no_body_gets_no_order(db: Session) -> None:
    w = review_world(db)
    w["case"].area_id = w["case"].body_id = None
    db.commit()
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    db.commit()
    assert db.execute(select(WorkOrder)).first() is None
