"""What happens when a deadline passes; run by the beat task ``deadlines.scan``.

Each due deadline is closed as expired and handled in its own SAVEPOINT, so one failure
does not hold back the others; a closed deadline is never handled twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases import assignment
from portal.cases import services as cases
from portal.cases.models import AssignmentStatus, Case
from portal.cases.states import Status, Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import Deadline, DeadlineKind
from portal.dispatch.models import WorkOrder
from portal.notifications import messages
from portal.notifications import services as notifications

log = logging.getLogger(__name__)

BATCH = 200
Handler = Callable[[Session, Deadline, Case, dt.datetime], None]


def _tell_body(session: Session, deadline: Deadline, case: Case, message: str, *,
               dispatchers: bool = False) -> None:
    people = notifications.body_admin_ids(session, case.body_id)
    if dispatchers:
        people |= notifications.dispatcher_ids(session, case.area_id)
    notifications.notify_users(session, occasion=f"deadline:{deadline.id}:expired",
                               user_ids=people, case=case, message=message)


def _accept(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    # A case with a work order is tracked (and escalated) by portal.dispatch.tracking.
    has_order = session.execute(
        select(WorkOrder.id).where(WorkOrder.case_id == case.id)).first() is not None
    if case.status is Status.SUBMITTED and not has_order:
        _tell_body(session, deadline, case, messages.ACCEPT_OVERDUE, dispatchers=True)


def _respondent(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    if case.status is Status.AWAITING_RESPONDENT:
        cases.transition(session, case=case, trigger=Trigger.RESPONDENT_TIMEOUT, actor=None)


def _choose(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    if case.status is Status.RESPONDENT_AGREED:
        _tell_body(session, deadline, case, messages.PARTIES_DID_NOT_CHOOSE)


def _assign(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    if case.status is Status.RESPONDENT_AGREED or (
            case.status is Status.MEDIATOR_ASSIGNED and case.mediator_id is None):
        _tell_body(session, deadline, case, messages.ASSIGN_OVERDUE, dispatchers=True)


def _mediator(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    row = assignment.current(session, case)
    if case.status is Status.MEDIATOR_ASSIGNED and row is not None and (
            row.responded_at is None):
        row.status = AssignmentStatus.DECLINED
        assignment.vacate(session, case=case, assignment=row,
                          message=messages.MEDIATOR_LAPSED, now=now)


def _mediation(session: Session, deadline: Deadline, case: Case, now: dt.datetime) -> None:
    if case.status in (Status.IN_MEDIATION, Status.AGREEMENT_DRAFTED):
        cases.transition(session, case=case, trigger=Trigger.MEDIATION_TIMEOUT, actor=None)
    elif case.status is Status.SIGNING:
        notifications.notify_users(
            session, occasion=f"deadline:{deadline.id}:expired",
            user_ids=notifications.body_admin_ids(session, case.body_id)
            | ({case.mediator_id} if case.mediator_id else set()),
            case=case, message=messages.MEDIATION_OVERDUE)


HANDLERS: dict[DeadlineKind, Handler] = {
    DeadlineKind.ACCEPT: _accept,
    DeadlineKind.RESPONDENT: _respondent,
    DeadlineKind.CHOOSE_MEDIATOR: _choose,
    DeadlineKind.ASSIGN_MEDIATOR: _assign,
    DeadlineKind.MEDIATOR_ANSWER: _mediator,
    DeadlineKind.MEDIATION_END: _mediation,
}


def due(session: Session, now: dt.datetime) -> list[int]:
    return list(session.execute(
        select(Deadline.id).where(Deadline.closed_at.is_(None), Deadline.due_at <= now,
                                  Deadline.kind.in_(list(HANDLERS)))
        .order_by(Deadline.due_at, Deadline.id).limit(BATCH)
    ).scalars())


def handle(session: Session, deadline_id: int, now: dt.datetime) -> bool:
    """Expire one deadline and act on it; False when someone else already did."""
    deadline = session.execute(
        select(Deadline).where(Deadline.id == deadline_id, Deadline.closed_at.is_(None))
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if deadline is None:
        return False
    case = session.get(Case, deadline.case_id)
    assert case is not None
    deadlines.close(session, [deadline], deadlines.EXPIRED, now)
    HANDLERS[deadline.kind](session, deadline, case, now)
    return True


def scan(session: Session, *, now: dt.datetime | None = None) -> int:
    """Handle every deadline due by ``now``; returns how many were handled."""
    now = now or utcnow()
    handled = 0
    for deadline_id in due(session, now):
        try:
            with session.begin_nested():
                handled += handle(session, deadline_id, now)
        except Exception:
            log.exception("deadline %s could not be handled; it will be tried again",
                          deadline_id)
    return handled
