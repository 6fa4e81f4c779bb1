"""Moving orders: dispatch, accept, return, escalate, transfer out, follow up, rate, close.

Each function checks who acts and what they typed, then fires the case trigger; the order
follows in ``dispatch.flow``. Wrong input raises MissingInput (nothing changed), a user who
does not own the order at this step NotAllowed. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.bodies.models import MediationBody
from portal.bodies.services import accepts, area_subtree_ids
from portal.cases import review
from portal.cases import services as cases
from portal.cases.models import CaseEvent, ParticipantRole
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import LABELS, Actor, IllegalTransition, Trigger, can_fire
from portal.db.types import MAX_ROW_ID, utcnow
from portal.deadlines.calendar import local_date
from portal.dispatch import flow, intake, levels, messages, steps
from portal.dispatch.models import (
    OUTBOUND,
    Department,
    FollowUp,
    Outcome,
    Performance,
    SatisfactionRating,
    Step,
    Transfer,
    WorkOrder,
)
from portal.i18n import N_, gettext_
from portal.notifications import services as notifications

REASON_MAX, TEXT_MAX, NAME_MAX, RECIPIENT_MAX = 2000, 2000, 100, 200
BODY_STEPS = frozenset({Step.ACCEPT, Step.HANDLE, Step.FOLLOW_UP})
NEEDS_VISIT = frozenset({Outcome.AGREEMENT, Outcome.CONFIRMED})
AT_CITY = N_("This order is already at the city level; it cannot be escalated further. "
             "Transfer it to the court or another department instead.")
STILL_OPEN = N_("The case is still open ({status}); it can be closed when mediation has "
                "ended.")

outcome_for = flow.outcome_for
order_of = flow.order_of


def get_order(session: Session, order_id: int) -> WorkOrder | None:
    if not 0 < order_id <= MAX_ROW_ID:
        return None
    return session.get(WorkOrder, order_id)


def _in_area(session: Session, user: User, area_id: int | None) -> bool:
    return (user.area_id is not None and area_id is not None
            and area_id in area_subtree_ids(session, user.area_id))


def _dispatcher(session: Session, order: WorkOrder, user: User) -> bool:
    """A dispatcher whose area contains the order's."""
    return user.is_active and user.role is Role.DISPATCHER and _in_area(
        session, user, order.area_id)


def _centre(session: Session, order: WorkOrder, user: User) -> bool:
    """A dispatcher of the centre that owns the order now, or of one above it."""
    centre = order.owner_area_id or flow.centre_id(session, order)
    return user.is_active and user.role is Role.DISPATCHER and _in_area(session, user, centre)


def _body(order: WorkOrder, user: User) -> bool:
    """An administrator of the body that owns the order's current step."""
    return (user.is_active and user.role is Role.BODY_ADMIN and order.step in BODY_STEPS
            and order.owner_body_id is not None and order.owner_body_id == user.body_id)


def can_manage(session: Session, order: WorkOrder, user: User) -> bool:
    if not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    return _dispatcher(session, order, user) or _body(order, user)


def _open(order: WorkOrder) -> None:
    if order.step is Step.CLOSED:
        raise NotAllowed(f"order {order.id} is closed")


def _reason(reason: str, message: str) -> str:
    clean = reason.strip()
    if not clean:
        raise MissingInput("reason", message)
    return clean[:REASON_MAX]


def _target(session: Session, order: WorkOrder, actor: User,
            body_id: int | None) -> MediationBody:
    body = session.get(MediationBody, body_id) if body_id is not None else None
    if body is None or not body.is_active:
        raise MissingInput("body_id", N_("Choose a mediation body from the list."))
    if not accepts(body, order.case.dispute_type):
        raise MissingInput("body_id", N_("This body does not take this type of dispute. "
                                         "Choose another one."))
    if not levels.at_least(body.level, order.level):
        raise MissingInput("body_id", N_("This order is handled at a higher level now; "
                                         "choose a body at its level or above."))
    assert actor.area_id is not None
    if body.area_id not in levels.reachable_area_ids(session, actor.area_id):
        raise MissingInput("body_id", N_("This body is outside your area. Choose a body in "
                                         "your area or at a level above it."))
    return body


def dispatch(session: Session, *, order: WorkOrder, body_id: int | None, actor: User,
             note: str = "") -> CaseEvent:
    """The centre sends the order to a body, which then has to accept it."""
    if order.step is not Step.DISPATCH or not _centre(session, order, actor):
        raise NotAllowed(f"dispatch of order {order.id}")
    body = _target(session, order, actor, body_id)
    session.info[review.NEW_BODY] = body.id
    try:
        return cases.transition(session, case=order.case, trigger=Trigger.DISPATCH,
                                actor=actor, reason=note.strip()[:REASON_MAX])
    finally:
        session.info.pop(review.NEW_BODY, None)


def accept(session: Session, *, order: WorkOrder, actor: User) -> list[CaseEvent]:
    if order.step is not Step.ACCEPT or not _body(order, actor):
        raise NotAllowed(f"accept of order {order.id}")
    return review.accept(session, case=order.case, actor=actor)


def return_order(session: Session, *, order: WorkOrder, actor: User,
                 reason: str) -> CaseEvent:
    """The body sends the order back to the centre, saying why."""
    if order.step is not Step.ACCEPT or not _body(order, actor):
        raise NotAllowed(f"return of order {order.id}")
    clean = _reason(reason, N_("Tell the centre why the order is returned; it is shown on "
                               "the case timeline."))
    return cases.transition(session, case=order.case, trigger=Trigger.RETURN, actor=actor,
                            reason=clean)


def escalate(session: Session, *, order: WorkOrder, actor: User | None,
             reason: str) -> CaseEvent:
    """Up one level: the body asks, a dispatcher decides, or the beat job finds it overdue."""
    if actor is not None and not (_body(order, actor) or _dispatcher(session, order, actor)):
        raise NotAllowed(f"escalation of order {order.id}")
    _open(order)
    if levels.next_level(order.level) is None:
        raise MissingInput("level", AT_CITY)
    case = order.case
    if not can_fire(case.status, Trigger.ESCALATE, Actor.SYSTEM):
        raise IllegalTransition(case.status, Trigger.ESCALATE)
    clean = _reason(reason, N_("Say why the order goes to the next level; it is shown on "
                               "the case timeline."))
    return cases.transition(session, case=case, trigger=Trigger.ESCALATE, actor=actor,
                            reason=clean)


def transfer_out(session: Session, *, order: WorkOrder, actor: User, department: Department,
                 recipient: str, reason: str) -> Transfer:
    """Send the dispute to a court, the police or another office; the parties are told."""
    if actor.role not in (Role.DISPATCHER, Role.BODY_ADMIN) or not can_manage(
            session, order, actor):
        raise NotAllowed(f"transfer of order {order.id}")
    _open(order)
    if department not in OUTBOUND:
        raise MissingInput("department", N_("Choose where the dispute is sent."))
    name = recipient.strip()
    if not name or len(name) > RECIPIENT_MAX:
        raise MissingInput("recipient", N_("Name the court or office that receives the "
                                           "dispute (at most {limit} characters)."),
                           limit=str(RECIPIENT_MAX))
    clean = _reason(reason, N_("Tell the parties why the dispute is transferred; they will "
                               "receive it."))
    event = cases.transition(session, case=order.case, trigger=Trigger.TRANSFER, actor=actor,
                             reason=clean)
    transfer = Transfer(order=order, outbound=True, department=department, recipient=name,
                        reason=clean, case_event_id=event.id, actor_id=actor.id)
    session.add(transfer)
    session.flush()
    _tell_parties(session, order, transfer)
    return transfer


def _tell_parties(session: Session, order: WorkOrder, transfer: Transfer) -> None:
    case, occasion = order.case, f"transfer:{transfer.id}"
    notifications.notify_users(
        session, occasion=occasion, case=case, message=messages.TRANSFERRED_NOTICE,
        user_ids={p.user_id for p in case.participants if p.user_id is not None})
    params = {"number": case.number, "recipient": transfer.recipient,
              "reason": transfer.reason}
    for participant in case.participants:
        notifications.message_to_participant(session, participant, occasion=occasion,
                                             text=messages.TRANSFERRED_TEXT, params=params)


def _follow_up_staff(session: Session, order: WorkOrder, actor: User) -> None:
    if order.step is not Step.FOLLOW_UP or not (
            _body(order, actor) or _dispatcher(session, order, actor)
            or (actor.role is Role.ADMIN and actor.is_active)):
        raise NotAllowed(f"follow-up of order {order.id}")


def record_follow_up(session: Session, *, order: WorkOrder, actor: User,
                     visited_on: dt.date, result: str,
                     performance: Performance) -> FollowUp:
    """The follow-up visit (回访): when, what was found, whether the agreement is kept."""
    _follow_up_staff(session, order, actor)
    if visited_on > local_date(utcnow()):
        raise MissingInput("visited_on", N_("The visit cannot be in the future."))
    if visited_on < local_date(order.step_started_at):
        raise MissingInput("visited_on", N_("The visit cannot be before the case ended."))
    text = result.strip()
    if not text or len(text) > TEXT_MAX:
        raise MissingInput("result", N_("Describe what the visit found (at most {limit} "
                                        "characters)."), limit=str(TEXT_MAX))
    if not isinstance(performance, Performance):
        raise MissingInput("performance", N_("Say whether the agreement is being carried "
                                             "out."))
    visit = FollowUp(order=order, visited_on=visited_on, result=text, performance=performance,
                     visitor_id=actor.id)
    session.add(visit)
    session.flush()
    audit.append(session, kind="case", action="order.follow_up",
                 subject=f"case:{order.case.number}", actor_id=actor.id,
                 data={"order": order.id, "visit": visit.id,
                       "visited_on": visited_on.isoformat(), "performance": performance.value})
    return visit


def _rater(session: Session, order: WorkOrder, actor: User,
           participant_id: int | None) -> tuple[int | None, str | None]:
    """Whose rating this is: (participant id, the party's own name when online)."""
    participants = {p.id: p for p in order.case.participants}
    if actor.role is Role.PARTY:
        own = [p for p in participants.values() if p.user_id == actor.id
               and p.role is not ParticipantRole.AGENT]
        chosen = next((p for p in own if participant_id in (None, p.id)), None)
        if not actor.is_active or chosen is None:
            raise NotAllowed(f"rating of order {order.id}")
        return chosen.id, chosen.name
    if not can_manage(session, order, actor) or actor.role not in (
            Role.DISPATCHER, Role.BODY_ADMIN, Role.ADMIN):
        raise NotAllowed(f"rating of order {order.id}")
    if participant_id is not None and participant_id not in participants:
        raise MissingInput("participant_id", N_("Choose a party of this case."))
    return participant_id, None


def rate(session: Session, *, order: WorkOrder, actor: User, party_name: str, score: int,
         comment: str = "", participant_id: int | None = None) -> SatisfactionRating:
    """A party's satisfaction, online or collected by staff on the visit; once per party."""
    if order.outcome is None or order.outcome is Outcome.MERGED or order.step not in (
            Step.FOLLOW_UP, Step.REVIEW, Step.CLOSED):
        raise NotAllowed(f"rating of order {order.id}: the case has not ended")
    participant, own_name = _rater(session, order, actor, participant_id)
    name = (own_name or party_name).strip()
    if not name or len(name) > NAME_MAX:
        raise MissingInput("party_name", N_("Give the name of the party who answered."))
    if not 1 <= score <= 5:
        raise MissingInput("score", N_("Choose a score from 1 to 5."))
    if participant is not None and any(r.participant_id == participant for r in order.ratings):
        raise MissingInput("score", N_("This party's satisfaction was already recorded."))
    rating = SatisfactionRating(order=order, participant_id=participant, party_name=name,
                                score=score, comment=comment.strip()[:TEXT_MAX],
                                recorded_by_id=actor.id)
    session.add(rating)
    session.flush()
    audit.append(session, kind="case", action="order.rated",
                 subject=f"case:{order.case.number}", actor_id=actor.id,
                 data={"order": order.id, "rating": rating.id, "score": score,
                       "participant": participant})
    return rating


def finish_follow_up(session: Session, *, order: WorkOrder, actor: User) -> None:
    """The body hands the order to the centre for review."""
    _follow_up_staff(session, order, actor)
    if order.outcome in NEEDS_VISIT and not order.follow_ups:
        raise MissingInput("visited_on", N_("Record the follow-up visit first: an agreement "
                                            "is checked on before the order is closed."))
    centre = flow.centre_id(session, order)
    steps.move(session, order, step=Step.REVIEW, at=utcnow(), area_id=centre,
               note="follow-up done", actor_id=actor.id)
    notifications.notify_users(session, occasion=f"order:{order.id}:review:{len(order.steps)}",
                               user_ids=intake.centre_dispatcher_ids(session, centre),
                               case=order.case, message=messages.REVIEW_NOTICE)


def close(session: Session, *, order: WorkOrder, actor: User, note: str = "") -> CaseEvent:
    """The centre reviews the outcome, the visit and the ratings, and closes the order."""
    if not (_centre(session, order, actor) or (actor.role is Role.ADMIN and actor.is_active)):
        raise NotAllowed(f"closing of order {order.id}")
    _open(order)
    case = order.case
    if not can_fire(case.status, Trigger.CLOSE, Actor.DISPATCHER):
        raise MissingInput("note", STILL_OPEN, status=gettext_(LABELS[case.status]))
    if order.step is Step.FOLLOW_UP and not order.follow_ups:
        raise MissingInput("note", N_("Record the follow-up visit before closing the order, "
                                      "or finish the follow-up first."))
    if order.step not in (Step.REVIEW, Step.FOLLOW_UP):
        raise NotAllowed(f"closing of order {order.id} at step {order.step}")
    clean = note.strip()[:REASON_MAX]
    order.closing_note = clean
    return cases.transition(session, case=case, trigger=Trigger.CLOSE, actor=actor,
                            reason=clean)
