"""Moving orders: who may do what at which step, and bad input refused with nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import Level
from portal.cases import services as cases
from portal.cases.models import AssignmentStatus, CaseEvent, MediatorAssignment
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import IllegalTransition, Status, Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.calendar import local_date
from portal.deadlines.models import DeadlineKind
from portal.dispatch import services
from portal.dispatch.models import Department, Outcome, Performance, Step, WorkOrder
from portal.notifications.models import Notification, OutboundMessage
from tests.factories import UserFactory, make_report, settle
from tests.unit.dispatch.conftest import MONDAY

W = dict[str, Any]


@pytest.fixture
def order(db: Session, world: W) -> WorkOrder:
    with time_machine.travel(MONDAY, tick=False):
        return make_report(db, world["grid"], world["village"])


def _events(db: Session) -> int:
    return db.execute(select(func.count()).select_from(CaseEvent)).scalar_one()


def _unchanged(db: Session, order: WorkOrder, step: Step, status: Status,
               events: int) -> None:
    db.rollback()
    db.expire_all()
    assert (order.step, order.case.status, _events(db)) == (step, status, events)


def _notices(db: Session, user_id: int) -> list[str]:
    return list(db.execute(select(Notification.message)
                           .where(Notification.user_id == user_id)).scalars())


def test_who_manages_an_order(db: Session, world: W, order: WorkOrder) -> None:
    manage = {k for k in ("town_dispatcher", "city_dispatcher", "other_dispatcher", "grid",
                          "admin", "village_admin", "town_admin")
              if services.can_manage(db, order, world[k])}
    assert manage == {"town_dispatcher", "city_dispatcher", "admin"}
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    assert services.can_manage(db, order, world["village_admin"])
    assert not services.can_manage(db, order, world["town_admin"])
    world["admin"].is_active = False
    assert not services.can_manage(db, order, world["admin"])


def test_dispatch_sends_the_order_to_the_body(db: Session, world: W, order: WorkOrder) -> None:
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        event = services.dispatch(db, order=order, body_id=world["village_body"].id,
                                  actor=world["town_dispatcher"], note="就近调处")
        db.commit()
    case = order.case
    assert (event.trigger, event.reason, case.status, case.body_id) == (
        Trigger.DISPATCH, "就近调处", Status.SUBMITTED, world["village_body"].id)
    assert case.submitted_at == event.created_at
    assert (order.step, order.owner_body_id, order.owner_area_id) == (
        Step.ACCEPT, world["village_body"].id, None)
    assert deadlines.current(db, case.id, DeadlineKind.ACCEPT) is not None
    assert any("waiting for your review" in m for m in _notices(db, world["village_admin"].id))
    assert order.steps[0].case_event_id == event.id


@pytest.mark.parametrize(("body", "message"), [
    ("labour", "does not take this type"),  # takes labour disputes only
    ("other_town", "outside your area"),
    ("missing", "from the list"),
    ("inactive", "from the list"),
])
def test_dispatch_to_a_wrong_body_is_refused(db: Session, world: W, order: WorkOrder,
                                             body: str, message: str) -> None:
    if body == "inactive":
        world["town_body"].is_active = False
        db.commit()
    body_id = {"missing": 999999, "inactive": world["town_body"].id}.get(body) or (
        world[f"{body}_body"].id)
    events = _events(db)
    with pytest.raises(MissingInput) as err:
        services.dispatch(db, order=order, body_id=body_id, actor=world["town_dispatcher"])
    assert err.value.field == "body_id" and message in err.value.message
    _unchanged(db, order, Step.DISPATCH, Status.DRAFT, events)
    assert order.case.body_id is None


def test_an_escalated_order_is_not_dispatched_below_its_level(db: Session, world: W,
                                                              order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    services.return_order(db, order=order, actor=world["village_admin"], reason="不归我们管")
    services.escalate(db, order=order, actor=world["town_dispatcher"], reason="上交镇里")
    db.commit()
    events = _events(db)
    with pytest.raises(MissingInput) as err:
        services.dispatch(db, order=order, body_id=world["village_body"].id,
                          actor=world["town_dispatcher"])
    assert "higher level" in err.value.message
    _unchanged(db, order, Step.DISPATCH, Status.SUBMITTED, events)


@pytest.mark.parametrize("who", ["other_dispatcher", "grid", "village_admin", "admin"])
def test_only_the_owning_centre_dispatches(db: Session, world: W, order: WorkOrder,
                                           who: str) -> None:
    with pytest.raises(NotAllowed):
        services.dispatch(db, order=order, body_id=world["village_body"].id,
                          actor=world[who])
    _unchanged(db, order, Step.DISPATCH, Status.DRAFT, 0)


def test_dispatch_only_at_the_dispatch_step(db: Session, world: W, order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    db.commit()
    with pytest.raises(NotAllowed):
        services.dispatch(db, order=order, body_id=world["town_body"].id,
                          actor=world["town_dispatcher"])
    _unchanged(db, order, Step.ACCEPT, Status.SUBMITTED, 1)


def test_accepting_and_returning(db: Session, world: W, order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    db.commit()
    for who in ("town_admin", "town_dispatcher", "grid"):
        with pytest.raises(NotAllowed):
            services.accept(db, order=order, actor=world[who])
        with pytest.raises(NotAllowed):
            services.return_order(db, order=order, actor=world[who], reason="x")
    with pytest.raises(MissingInput) as err:
        services.return_order(db, order=order, actor=world["village_admin"], reason="  ")
    assert err.value.field == "reason"
    _unchanged(db, order, Step.ACCEPT, Status.SUBMITTED, 1)

    event = services.return_order(db, order=order, actor=world["village_admin"],
                                  reason="涉及镇级土地规划")
    db.commit()
    assert (event.trigger, order.step, order.owner_area_id, order.level) == (
        Trigger.RETURN, Step.DISPATCH, world["town"].id, Level.VILLAGE)
    assert order.case.body_id is None and order.steps[1].note == "涉及镇级土地规划"
    assert deadlines.current(db, order.case_id, DeadlineKind.ACCEPT) is None
    assert any("returned" in m for m in _notices(db, world["town_dispatcher"].id))

    services.dispatch(db, order=order, body_id=world["town_body"].id,
                      actor=world["town_dispatcher"])
    events = services.accept(db, order=order, actor=world["town_admin"])
    db.commit()
    assert [e.trigger for e in events] == [Trigger.ACCEPT, Trigger.CONTACT_RESPONDENT]
    assert (order.step, order.owner_body_id, order.level) == (
        Step.HANDLE, world["town_body"].id, Level.TOWN)


def test_escalation(db: Session, world: W, order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    services.accept(db, order=order, actor=world["village_admin"])
    db.commit()
    for who in ("other_dispatcher", "town_admin", "grid"):
        with pytest.raises(NotAllowed):
            services.escalate(db, order=order, actor=world[who], reason="x")
    with pytest.raises(MissingInput) as err:
        services.escalate(db, order=order, actor=world["village_admin"], reason="")
    assert err.value.field == "reason"
    _unchanged(db, order, Step.HANDLE, Status.AWAITING_RESPONDENT, 3)
    assert deadlines.current(db, order.case_id, DeadlineKind.RESPONDENT) is not None

    event = services.escalate(db, order=order, actor=world["village_admin"],
                              reason="双方矛盾激化，村里无法调处")
    db.commit()
    assert (event.trigger, event.actor_role, order.case.status) == (
        Trigger.ESCALATE, "body", Status.SUBMITTED)
    assert (order.level, order.step, order.owner_area_id, order.escalations) == (
        Level.TOWN, Step.DISPATCH, world["town"].id, 1)
    assert order.case.body_id is None and order.case.mediator_id is None
    assert deadlines.open_deadlines(db, order.case_id) == []

    services.escalate(db, order=order, actor=world["town_dispatcher"], reason="重大")
    db.commit()
    assert (order.level, order.owner_area_id) == (Level.CITY, world["city"].id)
    assert any("escalated" in m for m in _notices(db, world["city_dispatcher"].id))
    with pytest.raises(MissingInput) as err:
        services.escalate(db, order=order, actor=world["city_dispatcher"], reason="再上交")
    assert err.value.field == "level" and "city level" in err.value.message
    _unchanged(db, order, Step.DISPATCH, Status.SUBMITTED, 5)


def test_a_draft_or_closed_order_cannot_escalate(db: Session, world: W,
                                                 order: WorkOrder) -> None:
    with pytest.raises(IllegalTransition):
        services.escalate(db, order=order, actor=world["town_dispatcher"], reason="x")
    _unchanged(db, order, Step.DISPATCH, Status.DRAFT, 0)
    services.transfer_out(db, order=order, actor=world["town_dispatcher"],
                          department=Department.POLICE, recipient="枫桥派出所", reason="涉嫌违法")
    db.commit()
    with pytest.raises(IllegalTransition):  # transferred: the case has ended
        services.escalate(db, order=order, actor=world["town_dispatcher"], reason="x")


def test_transfer_out_tells_the_parties(db: Session, world: W, order: WorkOrder) -> None:
    party = UserFactory(phone="13700001111", name="张三")
    order.case.participants[0].user_id = party.id
    db.commit()
    for kwargs, field in [({"department": Department.PETITIONS}, "department"),
                          ({"recipient": " "}, "recipient"), ({"reason": ""}, "reason")]:
        args = {"department": Department.COURT, "recipient": "诸暨市人民法院",
                "reason": "需要诉讼解决", **kwargs}
        with pytest.raises(MissingInput) as err:
            services.transfer_out(db, order=order, actor=world["town_dispatcher"], **args)
        assert err.value.field == field
    with pytest.raises(NotAllowed):
        services.transfer_out(db, order=order, actor=world["grid"],
                              department=Department.COURT, recipient="法院", reason="x")
    _unchanged(db, order, Step.DISPATCH, Status.DRAFT, 0)

    transfer = services.transfer_out(db, order=order, actor=world["town_dispatcher"],
                                     department=Department.COURT, recipient="诸暨市人民法院",
                                     reason="当事人坚持起诉。")
    db.commit()
    assert (transfer.outbound, transfer.case_event_id) == (True, order.case.events[-1].id)
    assert (order.case.status, order.step, order.outcome) == (
        Status.TRANSFERRED, Step.FOLLOW_UP, Outcome.TRANSFERRED)
    assert order.owner_area_id == world["town"].id  # no body: the centre follows up
    assert any("transferred" in m for m in _notices(db, party.id))
    texts = db.execute(select(OutboundMessage.recipient, OutboundMessage.body)).all()
    assert {r for r, _ in texts} == {"13700001111", "13700002222"}
    assert all("诸暨市人民法院" in body and "当事人坚持起诉。" in body for _, body in texts)


def test_follow_up_visit_ratings_and_review(db: Session, world: W, order: WorkOrder) -> None:
    with time_machine.travel(MONDAY, tick=False):
        settle(db, order, world, "village")
    assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.AGREEMENT)
    boss = world["village_admin"]
    today = dt.date(2026, 12, 5)
    with time_machine.travel(dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC), tick=False):
        for kwargs, field in [({"visited_on": today + dt.timedelta(days=1)}, "visited_on"),
                              ({"visited_on": dt.date(2026, 11, 29)}, "visited_on"),
                              ({"result": "  "}, "result")]:
            args = {"visited_on": today, "result": "已履行",
                    "performance": Performance.FULLY, **kwargs}
            with pytest.raises(MissingInput) as err:
                services.record_follow_up(db, order=order, actor=boss, **args)
            assert err.value.field == field
        with pytest.raises(NotAllowed):
            services.record_follow_up(db, order=order, actor=world["town_admin"],
                                      visited_on=today, result="x", performance=Performance.FULLY)
        with pytest.raises(MissingInput) as err:  # an agreement is visited before review
            services.finish_follow_up(db, order=order, actor=boss)
        assert err.value.field == "visited_on"
        visit = services.record_follow_up(db, order=order, actor=boss, visited_on=today,
                                          result="赔偿款已付清。", performance=Performance.FULLY)
        assert (visit.visitor_id, visit.performance) == (boss.id, Performance.FULLY)
        services.finish_follow_up(db, order=order, actor=boss)
        db.commit()
    assert (order.step, order.owner_area_id, order.owner_body_id) == (
        Step.REVIEW, world["town"].id, None)
    assert any("Review the order" in m for m in _notices(db, world["town_dispatcher"].id))


def test_ratings(db: Session, world: W, order: WorkOrder) -> None:
    party = UserFactory(phone="13700001111", name="张三")
    applicant = order.case.participants[0]
    applicant.user_id = party.id
    db.commit()
    with pytest.raises(NotAllowed):  # not ended yet
        services.rate(db, order=order, actor=party, party_name="张三", score=5)
    settle(db, order, world, "village")
    boss = world["village_admin"]
    with pytest.raises(MissingInput) as err:
        services.rate(db, order=order, actor=boss, party_name="李四", score=6)
    assert err.value.field == "score"
    with pytest.raises(MissingInput) as err:
        services.rate(db, order=order, actor=boss, party_name=" ", score=3)
    assert err.value.field == "party_name"
    with pytest.raises(NotAllowed):  # someone else's order
        services.rate(db, order=order, actor=world["town_admin"], party_name="李四", score=3)
    with pytest.raises(NotAllowed):  # not a party of this case
        services.rate(db, order=order, actor=UserFactory(), party_name="张三", score=3)
    online = services.rate(db, order=order, actor=party, party_name="whatever", score=4,
                           comment="调解员很耐心")
    assert (online.participant_id, online.party_name, online.recorded_by_id) == (
        applicant.id, "张三", party.id)
    with pytest.raises(MissingInput):  # once per party
        services.rate(db, order=order, actor=party, party_name="张三", score=1)
    with pytest.raises(MissingInput):
        services.rate(db, order=order, actor=boss, party_name="张三", score=1,
                      participant_id=applicant.id)
    visit = services.rate(db, order=order, actor=boss, party_name="李四", score=3,
                          participant_id=order.case.participants[1].id)
    db.commit()
    assert [r.score for r in order.ratings] == [4, 3] and visit.recorded_by_id == boss.id


def test_closing(db: Session, world: W, order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    services.accept(db, order=order, actor=world["village_admin"])
    db.commit()
    events = _events(db)
    with pytest.raises(MissingInput) as err:
        services.close(db, order=order, actor=world["town_dispatcher"])
    assert err.value.message == services.STILL_OPEN and err.value.params["status"]
    _unchanged(db, order, Step.HANDLE, Status.AWAITING_RESPONDENT, events)

    settle(db, order, world, "village")
    with pytest.raises(MissingInput):  # an agreement needs its follow-up visit first
        services.close(db, order=order, actor=world["town_dispatcher"])
    for who in ("village_admin", "other_dispatcher", "grid"):
        with pytest.raises(NotAllowed):
            services.close(db, order=order, actor=world[who])
    services.record_follow_up(db, order=order, actor=world["village_admin"],
                              visited_on=local_date(utcnow()), result="已履行",
                              performance=Performance.FULLY)
    event = services.close(db, order=order, actor=world["city_dispatcher"], note="结案")
    db.commit()
    assert (event.trigger, order.case.status, order.step) == (
        Trigger.CLOSE, Status.CLOSED, Step.CLOSED)
    assert (order.closing_note, order.closed_by_id, order.outcome) == (
        "结案", world["city_dispatcher"].id, Outcome.AGREEMENT)
    assert order.owner_area_id is None and order.owner_body_id is None
    assert order.steps[-1].ended_at == order.closed_at
    with pytest.raises(NotAllowed):
        services.close(db, order=order, actor=world["town_dispatcher"])


def test_an_administrator_closes_a_withdrawn_order(db: Session, world: W,
                                                    order: WorkOrder) -> None:
    party = UserFactory(role=Role.PARTY)
    order.case.participants[0].user_id = party.id
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    cases.act(db, case=order.case, trigger=Trigger.WITHDRAW, actor=party, reason="和解了")
    db.commit()
    assert (order.step, order.outcome, order.owner_body_id) == (
        Step.FOLLOW_UP, Outcome.WITHDRAWN, world["village_body"].id)
    services.finish_follow_up(db, order=order, actor=world["village_admin"])  # no visit needed
    services.close(db, order=order, actor=world["admin"])
    db.commit()
    assert order.step is Step.CLOSED and order.case.status is Status.CLOSED


def test_order_lookups(db: Session, order: WorkOrder) -> None:
    assert services.order_of(db, order.case_id) == order
    assert services.get_order(db, order.id) == order
    assert services.order_of(db, 999999) is None and services.get_order(db, 999999) is None


@pytest.mark.parametrize(("status", "outcome"), [
    (Status.AGREEMENT_IN_EFFECT, Outcome.AGREEMENT),
    (Status.CONFIRMATION_REFUSED, Outcome.AGREEMENT),
    (Status.CONFIRMED, Outcome.CONFIRMED),
    (Status.TRANSFERRED, Outcome.TRANSFERRED),
    (Status.MEDIATION_FAILED, Outcome.FAILED),
    (Status.FILING_REJECTED, Outcome.FAILED),
    (Status.DOCKETED, Outcome.FAILED),
    (Status.DECLINED, Outcome.FAILED),
    (Status.WITHDRAWN, Outcome.WITHDRAWN),
    (Status.IN_MEDIATION, None),
    (Status.SUBMITTED, None),
])
def test_outcome_for(status: Status, outcome: Outcome | None) -> None:
    assert services.outcome_for(status) is outcome


def test_escalation_during_mediation_relieves_the_mediator(db: Session, world: W,
                                                           order: WorkOrder) -> None:
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    services.accept(db, order=order, actor=world["village_admin"])
    boss, case = world["village_admin"], order.case
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=world["village_mediator"].id)
    cases.act(db, case=case, trigger=Trigger.START_MEDIATION, actor=world["village_mediator"])
    services.escalate(db, order=order, actor=boss, reason="调解陷入僵局")
    db.commit()
    assert (case.status, case.mediator_id, order.step, order.level) == (
        Status.SUBMITTED, None, Step.DISPATCH, Level.TOWN)
    [appointment] = db.execute(select(MediatorAssignment)).scalars().all()
    assert appointment.status is AssignmentStatus.REPLACED
    assert deadlines.open_deadlines(db, case.id) == []
