"""The one writer of an order's step: history rows, overdue marks, the audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEntry
from portal.dispatch import rules, steps
from portal.dispatch.models import Step
from tests.factories import make_report
from tests.unit.dispatch.conftest import MONDAY


def test_moving_ends_the_current_row_and_opens_the_next(db: Session,
                                                        world: dict[str, Any]) -> None:
    with time_machine.travel(MONDAY, tick=False):
        order = make_report(db, world["grid"], world["village"])
    first = steps.current(order)
    assert first is not None and first.due_at == order.due_at
    order.reminded_at = order.overdue_since = MONDAY
    late = order.due_at + dt.timedelta(minutes=1)  # type: ignore[operator]
    steps.move(db, order, step=Step.REVIEW, at=late, area_id=world["town"].id,
               note="为测试", actor_id=world["town_dispatcher"].id)
    db.commit()
    assert (first.ended_at, first.went_overdue, first.note) == (late, True, "为测试")
    second = steps.current(order)
    assert second is not None and second is not first
    assert (second.step, second.started_at, second.owner_area_id) == (
        Step.REVIEW, late, world["town"].id)
    assert order.due_at == second.due_at == rules.due_at(db, Step.REVIEW, late)
    assert (order.step_started_at, order.reminded_at, order.overdue_since) == (late, None, None)
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "order.step")
                       ).scalar_one()
    assert entry.subject == f"order:{order.id}" and '"from":"dispatch"' in entry.data

    steps.move(db, order, step=Step.CLOSED, at=late + dt.timedelta(hours=1))
    db.commit()
    assert steps.current(order) is None and len(order.steps) == 2
    assert (order.due_at, order.owner_area_id, order.owner_body_id) == (None, None, None)
    assert not order.steps[1].went_overdue
