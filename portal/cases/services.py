"""Case services. ``transition`` is the only function that writes a case's status."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.cases import access
from portal.cases.models import Case, CaseCounter, CaseEvent, CaseParticipant, ParticipantRole
from portal.cases.states import (
    EXTERNAL,
    Actor,
    IllegalTransition,
    Status,
    Trigger,
    allowed_triggers,
    can_fire,
    next_status,
)
from portal.db.types import utcnow
from portal.notifications import tasks as notification_tasks
from portal.worker import send_after_commit

NUMBER_PREFIX = "FQ"


class NotAllowed(Exception):
    """The actor may not fire this trigger on this case."""


# Side effects of a transition owned by other features (deadlines, the respondent's
# invitation, mediator appointments): "module:function", called as fn(session, event) in
# the same transaction, in this order. Named, not imported, so those modules may import this.
FOLLOW_UPS: list[str] = [
    "portal.deadlines.services:after_transition",
    "portal.cases.review:after_transition",
    "portal.cases.consent:after_transition",
    "portal.cases.assignment:after_transition",
    "portal.dispatch.flow:after_transition",
    "portal.casefile.services:after_transition",
]
# Moves fired only by their own services, which check what each needs (the order loop's
# body, level, department or follow-up; the agreement's version and signing document);
# never offered or accepted as a bare case action.
# Court filing (portal.filing): the parties' requests write the filing to deliver with the
# move, and the court's moves come from its signed notices, never from a logged-in user.
DEDICATED = frozenset({Trigger.DISPATCH, Trigger.RETURN, Trigger.ESCALATE, Trigger.MERGE,
                       Trigger.TRANSFER, Trigger.CLOSE, Trigger.DRAFT_AGREEMENT,
                       Trigger.REVISE_AGREEMENT, Trigger.OPEN_SIGNING,
                       Trigger.REQUEST_FILING, Trigger.REQUEST_CONFIRMATION,
                       Trigger.COURT_RECEIVE, Trigger.DOCKET, Trigger.REJECT_FILING,
                       Trigger.COURT_CONFIRM, Trigger.COURT_REFUSE_CONFIRMATION})


@cache
def _follow_up(path: str) -> Callable[[Session, CaseEvent], None]:
    module, _, name = path.partition(":")
    fn: Callable[[Session, CaseEvent], None] = getattr(importlib.import_module(module), name)
    return fn


def next_case_number(session: Session, year: int) -> str:
    """Allocate FQ-YYYY-NNNNNN from a per-year counter, safely under concurrency."""
    stmt = (
        update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.execute(insert(CaseCounter).values(year=year, last=1))
            value = 1
        except IntegrityError:
            # Another transaction created the year's row first; take the next number.
            value = session.execute(stmt).scalar_one()
    return f"{NUMBER_PREFIX}-{year}-{value:06d}"


@dataclass(frozen=True)
class NewCase:
    title: str
    dispute_type: str = "other"
    summary: str = ""
    body_id: int | None = None
    area_id: int | None = None


def create_draft(session: Session, *, applicant: User, data: NewCase) -> Case:
    case = Case(
        number=next_case_number(session, utcnow().year), title=data.title.strip(),
        dispute_type=data.dispute_type, summary=data.summary, applicant_id=applicant.id,
        body_id=data.body_id, area_id=data.area_id, status=Status.DRAFT,
    )
    case.participants.append(
        CaseParticipant(role=ParticipantRole.APPLICANT, user_id=applicant.id,
                        name=applicant.name, phone=applicant.phone)
    )
    session.add(case)
    session.flush()
    audit.append(session, kind="case", action="case.created", subject=f"case:{case.number}",
                 actor_id=applicant.id, data={"status": case.status.value})
    return case


def transition(
    session: Session,
    *,
    case: Case,
    trigger: Trigger,
    actor: User | None,
    as_actor: Actor | None = None,
    reason: str = "",
) -> CaseEvent:
    """Apply ``trigger`` to ``case``: check, move, record, audit, schedule follow-ups.

    ``actor`` None means the system (timers). ``as_actor`` picks one of the actor's
    capacities on this case when it has several. ``actor`` None with an ``as_actor`` in
    states.EXTERNAL is that outside actor (the court), which the caller has authenticated.
    """
    source = case.status
    target = next_status(source, trigger)  # raises IllegalTransition
    if actor is None and as_actor is not None and as_actor in EXTERNAL:
        capacities: set[Actor] = {as_actor}
    else:
        capacities = access.capacities(session, case, actor)
    chosen = [as_actor] if as_actor is not None else sorted(capacities)
    fired_as = next((c for c in chosen if c in capacities and can_fire(source, trigger, c)),
                    None)
    if fired_as is None:
        raise NotAllowed(f"{trigger.value} on {case.number}")
    # Lock the row and re-check: two concurrent transitions must not both apply.
    locked = session.execute(
        select(Case.status).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    if locked != source:
        raise IllegalTransition(locked, trigger)
    case.status = target
    case.updated_at = utcnow()
    event = CaseEvent(
        case=case, trigger=trigger, from_status=source, to_status=target,
        actor_id=actor.id if actor else None, actor_role=fired_as.value, reason=reason.strip(),
    )
    session.add(event)
    session.flush()
    audit.append(
        session, kind="case", action=f"case.{trigger.value}", subject=f"case:{case.number}",
        actor_id=actor.id if actor else None,
        data={"event": event.id, "from": source.value, "to": target.value,
              "as": fired_as.value, "reason": event.reason},
    )
    for path in FOLLOW_UPS:
        _follow_up(path)(session, event)
    send_after_commit(session, notification_tasks.notify_case_event, event.id)
    return event


def available_triggers(session: Session, case: Case, user: User) -> list[Trigger]:
    """Triggers this user may fire now, for the case page's action buttons."""
    capacities = access.capacities(session, case, user)
    return [t for t in allowed_triggers(case.status) if t not in DEDICATED
            and any(can_fire(case.status, t, c) for c in capacities)]


# A person reading the timeline must learn why a case was stopped or sent elsewhere.
REASON_REQUIRED = frozenset({
    Trigger.DECLINE, Trigger.TRANSFER, Trigger.RESPONDENT_REFUSE, Trigger.FAIL_MEDIATION,
    Trigger.WITHDRAW, Trigger.REJECT_FILING, Trigger.COURT_REFUSE_CONFIRMATION,
    Trigger.REASSIGN_MEDIATOR, Trigger.REVISE_AGREEMENT,
})
NEEDS_MEDIATOR = frozenset({Trigger.ASSIGN_MEDIATOR, Trigger.REASSIGN_MEDIATOR})


class MissingInput(ValueError):
    """``message`` is an English msgid; ``params`` fill its {placeholders} after translation."""

    def __init__(self, field: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def mediators_for(session: Session, case: Case) -> list[User]:
    if case.body_id is None:
        return []
    return list(session.execute(
        select(User).where(User.role == Role.MEDIATOR, User.body_id == case.body_id,
                           User.is_active.is_(True)).order_by(User.name)
    ).scalars())


def act(
    session: Session,
    *,
    case: Case,
    trigger: Trigger,
    actor: User,
    reason: str = "",
    mediator_id: int | None = None,
) -> CaseEvent:
    """A person's action on a case: the inputs a trigger needs, then ``transition``."""
    if trigger in DEDICATED:
        raise NotAllowed(f"{trigger.value} goes through its own service")
    if trigger in REASON_REQUIRED and not reason.strip():
        raise MissingInput("reason", "Please give a reason; it is shown on the case timeline.")
    if trigger in NEEDS_MEDIATOR:
        chosen = next((m for m in mediators_for(session, case) if m.id == mediator_id), None)
        if chosen is None:
            raise MissingInput("mediator_id", "Choose a mediator of this body.")
        # Set first: the follow-ups record the appointment of ``case.mediator_id``.
        case.mediator_id = chosen.id
        return transition(session, case=case, trigger=trigger, actor=actor, reason=reason)
    return transition(session, case=case, trigger=trigger, actor=actor, reason=reason)
