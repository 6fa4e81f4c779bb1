"""Rules on one case: large amounts, sensitive types, overdue orders, and a party coming
back after failed mediation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine
from sqlalchemy.orm import Session

from portal.analytics.models import AlertLevel, RuleKey
from portal.analytics.rules import set_rule
from portal.cases import services as cases
from portal.cases.models import CaseClaim
from portal.cases.states import Status, Trigger
from portal.dispatch import services as dispatch
from portal.dispatch.models import WorkOrder
from tests.unit.analytics.alert_support import (
    DAY,
    T0,
    alerts,
    person,
    report,
    run_scan,
    world,
)

__all__ = ["world"]
W = dict[str, Any]
HOUR = dt.timedelta(hours=1)


def _claim(db: Session, order: WorkOrder, *amounts: str) -> None:
    for i, amount in enumerate(amounts):
        db.add(CaseClaim(case_id=order.case_id, position=i, description="赔偿损失",
                         amount=Decimal(amount)))
    db.commit()


def test_claims_of_200000_yuan_are_a_large_amount(db: Session, world: W) -> None:
    order = report(db, world, T0)
    _claim(db, order, "150000.00", "50000.00")
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.LARGE_AMOUNT)
    assert alert.level is AlertLevel.YELLOW
    assert alert.facts[0]["amount"] == "200,000.00"
    assert alert.facts[0]["threshold"] == "200,000"


def test_one_fen_less_is_not(db: Session, world: W) -> None:
    _claim(db, report(db, world, T0), "199999.99")
    run_scan(db, T0)
    assert alerts(db, RuleKey.LARGE_AMOUNT) == []


def test_the_threshold_is_the_administrators(db: Session, world: W) -> None:
    set_rule(db, rule=RuleKey.LARGE_AMOUNT, enabled=True, level=AlertLevel.ORANGE,
             values={"min_amount": 100_000}, types=[], actor=world["admin"])
    db.commit()
    _claim(db, report(db, world, T0), "120000")
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.LARGE_AMOUNT)
    assert alert.level is AlertLevel.ORANGE


def test_land_disputes_are_sensitive_and_neighbours_not(db: Session, world: W) -> None:
    land = report(db, world, T0, dispute_type="land", title="征地补偿款分配")
    report(db, world, T0, dispute_type="neighbour")
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.SENSITIVE_TYPE)
    assert alert.case_id == land.case_id
    assert alert.facts[0]["type_label"] == "Land contracting and expropriation"


def test_a_switched_off_rule_raises_nothing(db: Session, world: W) -> None:
    set_rule(db, rule=RuleKey.SENSITIVE_TYPE, enabled=False, level=AlertLevel.YELLOW,
             values={}, types=["land"], actor=world["admin"])
    db.commit()
    report(db, world, T0, dispute_type="land")
    run_scan(db, T0)
    assert alerts(db, RuleKey.SENSITIVE_TYPE) == []


def test_an_order_overdue_by_a_day(db: Session, world: W) -> None:
    order = report(db, world, T0)
    assert order.due_at is not None
    run_scan(db, order.due_at + 23 * HOUR)
    assert alerts(db, RuleKey.OVERDUE) == []
    run_scan(db, order.due_at + 25 * HOUR)
    [alert] = alerts(db, RuleKey.OVERDUE)
    assert alert.case_id == order.case_id and alert.facts[0]["days"] == 1
    assert alert.evidence_at == order.due_at
    # Still overdue at the next scans: the same alert, not another.
    run_scan(db, order.due_at + 3 * DAY)
    assert len(alerts(db, RuleKey.OVERDUE)) == 1


def _fail(db: Session, world: W, order: WorkOrder, at: dt.datetime) -> None:
    """Dispatch to the village body and end mediation without agreement at ``at``."""
    boss, mediator = world["village_admin"], world["village_mediator"]
    with time_machine.travel(at - 2 * HOUR, tick=False):
        dispatch.dispatch(db, order=order, body_id=world["village_body"].id,
                          actor=world["town_dispatcher"])
        dispatch.accept(db, order=order, actor=boss)
        case = order.case
        cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
        cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
                  mediator_id=mediator.id)
        cases.transition(db, case=case, trigger=Trigger.START_MEDIATION, actor=mediator)
    with time_machine.travel(at, tick=False):
        cases.act(db, case=case, trigger=Trigger.FAIL_MEDIATION, actor=mediator,
                  reason="双方分歧太大")
    db.commit()
    assert case.status is Status.MEDIATION_FAILED


PHONE = "13788889999"


def test_a_party_back_after_failed_mediation(db: Session, world: W) -> None:
    first = report(db, world, T0, parties=[person("周己", phone_number=PHONE)])
    _fail(db, world, first, T0 + 5 * DAY)
    again = report(db, world, T0 + 20 * DAY, parties=[person("周己", phone_number=PHONE)])
    run_scan(db, T0 + 20 * DAY)
    [alert] = alerts(db, RuleKey.FAILED_THEN_NEW)
    assert alert.case_id == again.case_id
    fact = alert.facts[0]
    assert fact["number"] == first.case.number and fact["days"] == 15
    assert fact["value"] == PHONE


def test_back_after_the_window_or_before_the_failure_is_not(db: Session, world: W) -> None:
    first = report(db, world, T0, parties=[person(phone_number=PHONE)])
    report(db, world, T0 + 2 * DAY, parties=[person(phone_number=PHONE)])  # before
    _fail(db, world, first, T0 + 5 * DAY)
    report(db, world, T0 + 186 * DAY, parties=[person(phone_number=PHONE)])  # 181 days on
    run_scan(db, T0 + 186 * DAY)
    assert alerts(db, RuleKey.FAILED_THEN_NEW) == []


def test_someone_else_after_a_failure_is_not(db: Session, world: W) -> None:
    first = report(db, world, T0, parties=[person(phone_number=PHONE)])
    _fail(db, world, first, T0 + 5 * DAY)
    report(db, world, T0 + 20 * DAY)
    run_scan(db, T0 + 20 * DAY)
    assert alerts(db, RuleKey.FAILED_THEN_NEW) == []
