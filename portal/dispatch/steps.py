"""The one writer of an order's step: ends the current OrderStep and opens the next."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.cases.models import CaseEvent
from portal.dispatch import rules
from portal.dispatch.models import OrderStep, Step, WorkOrder

NOTE_MAX = 2000


def current(order: WorkOrder) -> OrderStep | None:
    """The open step row (none once the order is closed)."""
    return next((s for s in reversed(order.steps) if s.ended_at is None), None)


def _end(order: WorkOrder, *, at: dt.datetime, note: str, event: CaseEvent | None) -> None:
    row = current(order)
    if row is None:
        return
    row.ended_at = at
    row.went_overdue = row.due_at is not None and at > row.due_at
    row.note = note[:NOTE_MAX]
    row.case_event_id = event.id if event is not None else None


def start(session: Session, order: WorkOrder, *, step: Step, at: dt.datetime,
          area_id: int | None, body_id: int | None) -> OrderStep | None:
    """Make ``step`` the order's current step from ``at``; closing opens no row."""
    order.step, order.step_started_at = step, at
    order.owner_area_id, order.owner_body_id = area_id, body_id
    order.due_at = rules.due_at(session, step, at)
    order.reminded_at = order.overdue_since = None
    if step is Step.CLOSED:
        order.owner_area_id = order.owner_body_id = None
        return None
    row = OrderStep(order=order, step=step, level=order.level, owner_area_id=area_id,
                    owner_body_id=body_id, started_at=at, due_at=order.due_at)
    session.add(row)
    return row


def move(session: Session, order: WorkOrder, *, step: Step, at: dt.datetime,
         area_id: int | None = None, body_id: int | None = None, note: str = "",
         event: CaseEvent | None = None, actor_id: int | None = None) -> None:
    """End the current step (why: ``note``, ``event``) and start ``step``; audited."""
    before = order.step
    _end(order, at=at, note=note, event=event)
    start(session, order, step=step, at=at, area_id=area_id, body_id=body_id)
    session.flush()
    audit.append(session, kind="case", action="order.step", subject=f"order:{order.id}",
                 actor_id=actor_id,
                 data={"from": before.value, "to": step.value, "level": order.level.value,
                       "owner_area": area_id, "owner_body": body_id,
                       "event": event.id if event is not None else None})
