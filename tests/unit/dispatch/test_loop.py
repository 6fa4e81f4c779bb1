"""The whole loop (issue 4's check): a grid worker reports, the town dispatches to a village
body, the body lets the deadline pass, the beat job escalates it to the town, the town
settles it, and the order is closed after a follow-up visit; the figures of the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.bodies.models import Level
from portal.cases import services as cases
from portal.cases.models import CaseEvent
from portal.cases.states import Status, Trigger
from portal.dispatch import figures, services, tasks, tracking
from portal.dispatch.models import Outcome, Performance, Step
from tests.factories import make_report
from tests.unit.dispatch.conftest import MONDAY

HOUR = dt.timedelta(hours=1)


def _at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def test_report_dispatch_escalate_settle_close_and_the_figures(db: Session,
                                                              world: dict[str, Any]) -> None:
    with _at(MONDAY):
        order = make_report(db, world["grid"], world["village"])
    assert (order.step, order.level, order.owner_area_id) == (
        Step.DISPATCH, Level.VILLAGE, world["town"].id)

    with _at(MONDAY + HOUR):
        services.dispatch(db, order=order, body_id=world["village_body"].id,
                          actor=world["town_dispatcher"], note="就近调处")
        db.commit()
    assert (order.step, order.owner_body_id) == (Step.ACCEPT, world["village_body"].id)
    # End of Thursday 3 December in Shanghai: three working days after Monday.
    assert order.due_at == dt.datetime(2026, 12, 3, 15, 59, 59, tzinfo=dt.UTC)

    with _at(dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)):
        assert tasks.scan() == 1  # the reminder, once
        assert tasks.scan() == 0
    with _at(dt.datetime(2026, 12, 3, 16, 30, tzinfo=dt.UTC)):
        assert tasks.scan() == 1  # overdue: escalated
    db.expire_all()
    assert (order.step, order.level, order.owner_area_id, order.escalations) == (
        Step.DISPATCH, Level.TOWN, world["town"].id, 1)
    assert order.case.body_id is None

    friday = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.UTC)
    with _at(friday):
        services.dispatch(db, order=order, body_id=world["town_body"].id,
                          actor=world["town_dispatcher"])
        services.accept(db, order=order, actor=world["town_admin"])
        db.commit()
    assert order.step is Step.HANDLE
    case, boss, mediator = order.case, world["town_admin"], world["town_mediator"]
    with _at(friday + HOUR):
        cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
        cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
                  mediator_id=mediator.id)
        for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT,
                        Trigger.OPEN_SIGNING):
            cases.transition(db, case=case, trigger=trigger, actor=mediator)
        db.commit()
    settled = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # the next Monday
    with _at(settled):
        cases.transition(db, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
        db.commit()
    assert (case.status, order.step, order.outcome, order.owner_body_id) == (
        Status.AGREEMENT_IN_EFFECT, Step.FOLLOW_UP, Outcome.AGREEMENT, world["town_body"].id)

    visit = settled + dt.timedelta(days=3)
    with _at(visit):
        services.record_follow_up(db, order=order, actor=boss, visited_on=visit.date(),
                                  result="双方已按协议拆除院墙。", performance=Performance.FULLY)
        services.rate(db, order=order, actor=boss, party_name="张三", score=5,
                      participant_id=case.participants[0].id)
        services.finish_follow_up(db, order=order, actor=boss)
        db.commit()
    assert (order.step, order.owner_area_id) == (Step.REVIEW, world["town"].id)
    closed = visit + dt.timedelta(days=1)
    with _at(closed):
        services.close(db, order=order, actor=world["town_dispatcher"], note="已回访，结案。")
        db.commit()
    assert (case.status, order.step, order.closed_at) == (Status.CLOSED, Step.CLOSED, closed)

    # One case identity and one timeline for the whole loop.
    triggers = [e.trigger for e in case.events]
    assert triggers[:4] == [Trigger.DISPATCH, Trigger.ESCALATE, Trigger.DISPATCH,
                            Trigger.ACCEPT]
    assert triggers[-1] is Trigger.CLOSE
    escalation = db.execute(select(CaseEvent).where(
        CaseEvent.trigger == Trigger.ESCALATE)).scalar_one()
    assert escalation.actor_id is None and "2026-12-03 23:59" in escalation.reason
    history = [(s.step, s.level, s.went_overdue) for s in order.steps]
    assert history == [
        (Step.DISPATCH, Level.VILLAGE, False), (Step.ACCEPT, Level.VILLAGE, True),
        (Step.DISPATCH, Level.TOWN, False), (Step.ACCEPT, Level.TOWN, False),
        (Step.HANDLE, Level.TOWN, False), (Step.FOLLOW_UP, Level.TOWN, False),
        (Step.REVIEW, Level.TOWN, False)]
    assert order.steps[1].note == escalation.reason

    with _at(closed + HOUR):
        result = figures.figures(db, area_id=world["town"].id)
    total = result.total
    assert (total.received, total.dispatched, total.resolved, total.closed, total.overdue) == (
        1, 2, 1, 1, 1)
    assert total.resolution_rate == 1.0
    assert result.share_by_level == {Level.VILLAGE: 0.0, Level.TOWN: 1.0, Level.CITY: 0.0}
    days = total.avg_days_per_step
    escalated_at = dt.datetime(2026, 12, 3, 16, 30, tzinfo=dt.UTC)
    # The DISPATCH step: 1 hour at the village level, then escalation to Friday's dispatch.
    assert days[Step.DISPATCH] == pytest.approx(((HOUR + (friday - escalated_at)) / 2)
                                                / dt.timedelta(days=1))
    assert days[Step.ACCEPT] == pytest.approx(
        ((escalated_at - MONDAY - HOUR) / 2) / dt.timedelta(days=1))
    assert days[Step.HANDLE] == pytest.approx((settled - friday) / dt.timedelta(days=1))
    assert days[Step.FOLLOW_UP] == pytest.approx(3.0)
    assert days[Step.REVIEW] == pytest.approx(1.0)
    levels = {row.key: row for row in result.levels}
    assert (levels["village"].dispatched, levels["town"].dispatched) == (1, 1)
    assert (levels["village"].overdue, levels["town"].resolved) == (1, 1)
    bodies = {row.label: (row.dispatched, row.resolved, row.overdue) for row in result.bodies}
    assert bodies == {"枫源村调解室": (1, 0, 1), "枫桥镇调委会": (1, 1, 0)}
    areas = {row.label: (row.received, row.resolved) for row in result.areas}
    assert areas == {"枫桥镇": (1, 1), "枫源村": (1, 1)}
    assert tracking.scan(db).total == 0  # nothing left to track
