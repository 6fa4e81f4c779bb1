"""Keeps each order in step with its case. ``after_transition`` is the last case follow-up.

Every move of the case moves its order: to the body that must accept it, to the body that
handles it, back to a centre (returned, declined, escalated), to the follow-up once the case
has ended, and to closed. ``steps.move`` records each change as an OrderStep.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.bodies.models import Area
from portal.cases.assignment import ACTIVE
from portal.cases.models import AssignmentStatus, Case, CaseEvent, MediatorAssignment
from portal.cases.states import Actor, Status, Trigger, can_fire
from portal.db.memo import remembered
from portal.db.types import utcnow
from portal.dispatch import intake, levels, messages, steps
from portal.dispatch.models import Outcome, Source, Step, WorkOrder
from portal.notifications import services as notifications

TO_BODY = frozenset({Trigger.SUBMIT, Trigger.RESUBMIT, Trigger.DISPATCH, Trigger.REFER})
# A party's own choice of body may be at any level; the centres never send an order down.
PARTY_CHOICE = frozenset({Trigger.SUBMIT, Trigger.RESUBMIT, Trigger.REFER})

OUTCOMES: dict[Status, Outcome] = {
    Status.AGREEMENT_IN_EFFECT: Outcome.AGREEMENT,
    Status.CONFIRMATION_REFUSED: Outcome.AGREEMENT,
    Status.CONFIRMED: Outcome.CONFIRMED,
    Status.TRANSFERRED: Outcome.TRANSFERRED,
    Status.MEDIATION_FAILED: Outcome.FAILED,
    Status.FILING_REQUESTED: Outcome.FAILED,
    Status.FILING_RECEIVED: Outcome.FAILED,
    Status.FILING_REJECTED: Outcome.FAILED,
    Status.DOCKETED: Outcome.FAILED,
    Status.DECLINED: Outcome.FAILED,
    Status.WITHDRAWN: Outcome.WITHDRAWN,
}


def outcome_for(status: Status) -> Outcome | None:
    return OUTCOMES.get(status)


def ended(status: Status) -> bool:
    """The case has ended: the centre may close it."""
    return can_fire(status, Trigger.CLOSE, Actor.DISPATCHER)


def order_of(session: Session, case_id: int) -> WorkOrder | None:
    # Asked by more than one panel of the case page: read once per transaction.
    def query() -> WorkOrder | None:
        return session.execute(
            select(WorkOrder).where(WorkOrder.case_id == case_id)).scalar_one_or_none()

    return remembered(session, ("order_of", case_id), query, (WorkOrder,))


def centre_id(session: Session, order: WorkOrder) -> int:
    """The centre that owns the order at its current level."""
    area = order.area or session.get(Area, order.area_id)
    assert area is not None
    return levels.centre_for(session, area, order.level).id


def clear_body(session: Session, case: Case, event: CaseEvent) -> None:
    """The case leaves its body (returned or escalated): no body, no mediator."""
    if case.body_id is None and case.mediator_id is None:
        return
    audit.append(session, kind="case", action="case.body_changed",
                 subject=f"case:{case.number}", actor_id=event.actor_id,
                 data={"event": event.id, "from": case.body_id, "to": None,
                       "mediator": case.mediator_id})
    for row in session.execute(select(MediatorAssignment).where(
            MediatorAssignment.case_id == case.id,
            MediatorAssignment.status.in_(ACTIVE))).scalars():
        row.status = AssignmentStatus.REPLACED
    case.body_id = case.mediator_id = None
    case.body = case.mediator = None


def _to_centre(session: Session, order: WorkOrder, event: CaseEvent, message: str) -> None:
    centre = centre_id(session, order)
    steps.move(session, order, step=Step.DISPATCH, at=event.created_at, area_id=centre,
               note=event.reason, event=event, actor_id=event.actor_id)
    notifications.notify_users(
        session, occasion=f"order:{order.id}:centre:{event.id}",
        user_ids=intake.centre_dispatcher_ids(session, centre) - {event.actor_id or 0},
        case=order.case, message=message)


def _to_body(session: Session, order: WorkOrder, event: CaseEvent) -> None:
    case = order.case
    body = case.body
    if body is None:
        _to_centre(session, order, event, messages.RETURNED)
        return
    level = levels.order_level(body.level)
    if not (order.source is Source.APPLICATION and event.trigger in PARTY_CHOICE):
        level = level if levels.at_least(level, order.level) else order.level
    order.level = level
    if event.trigger is Trigger.DISPATCH and case.submitted_at is None:
        case.submitted_at = event.created_at
    steps.move(session, order, step=Step.ACCEPT, at=event.created_at, body_id=body.id,
               note=event.reason, event=event, actor_id=event.actor_id)


def _escalate(session: Session, order: WorkOrder, event: CaseEvent) -> None:
    order.level = levels.next_level(order.level) or order.level
    order.escalations += 1
    clear_body(session, order.case, event)
    _to_centre(session, order, event, messages.ESCALATED)


def _close(session: Session, order: WorkOrder, event: CaseEvent) -> None:
    if event.trigger is Trigger.MERGE:
        order.outcome = Outcome.MERGED
    elif order.outcome is None:
        order.outcome = outcome_for(event.from_status)
    order.closed_at, order.closed_by_id = event.created_at, event.actor_id
    steps.move(session, order, step=Step.CLOSED, at=event.created_at, note=event.reason,
               event=event, actor_id=event.actor_id)


def _after_end(session: Session, order: WorkOrder, event: CaseEvent) -> None:
    order.outcome = outcome_for(event.to_status)
    if order.step in (Step.FOLLOW_UP, Step.REVIEW):
        return
    body_id = order.case.body_id
    steps.move(session, order, step=Step.FOLLOW_UP, at=event.created_at, body_id=body_id,
               area_id=None if body_id is not None else centre_id(session, order),
               note=event.reason, event=event, actor_id=event.actor_id)


def after_transition(session: Session, event: CaseEvent) -> None:
    if event.created_at is None:
        event.created_at = utcnow()
    order = order_of(session, event.case_id)
    trigger = event.trigger
    if order is None:
        # A case with neither an area nor a body cannot be placed with any centre.
        case = event.case
        if trigger in (Trigger.SUBMIT, Trigger.RESUBMIT) and (
                case.area_id is not None or case.body_id is not None):
            intake.order_for_application(session, case, at=event.created_at)
        return
    if order.step is Step.CLOSED:
        return
    if trigger in (Trigger.CLOSE, Trigger.MERGE):
        _close(session, order, event)
    elif trigger is Trigger.ESCALATE:
        _escalate(session, order, event)
    elif trigger is Trigger.RETURN:
        clear_body(session, order.case, event)
        _to_centre(session, order, event, messages.RETURNED)
    elif trigger is Trigger.DECLINE:
        _to_centre(session, order, event, messages.RETURNED)
    elif trigger in TO_BODY:
        _to_body(session, order, event)
    elif trigger is Trigger.ACCEPT:
        steps.move(session, order, step=Step.HANDLE, at=event.created_at,
                   body_id=order.case.body_id, note=event.reason, event=event,
                   actor_id=event.actor_id)
    elif ended(event.to_status):
        _after_end(session, order, event)
    elif order.step in (Step.FOLLOW_UP, Step.REVIEW):
        order.outcome = None
        steps.move(session, order, step=Step.HANDLE, at=event.created_at,
                   body_id=order.case.body_id, note=event.reason, event=event,
                   actor_id=event.actor_id)
