"""Appointing the mediator: the parties' joint choice, the body's assignment, the answer.

After the respondent agrees, each party may pick one of the body's mediators within 2
working days; when every party has picked the same one, the system assigns them
(``chosen_by_parties``). Otherwise the body's administrator assigns. The mediator accepts,
declaring that there is no conflict of interest (which starts mediation), or declines; a
declared conflict is a decline. A declined or unanswered appointment leaves the case
without a mediator until the body reassigns. A party may ask for another mediator.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.audit import services as audit
from portal.cases import access
from portal.cases import services as cases
from portal.cases.models import (
    AssignmentStatus,
    Case,
    CaseEvent,
    MediatorAssignment,
    MediatorChoice,
    ParticipantRole,
)
from portal.cases.states import Actor, IllegalTransition, Status, Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.i18n import N_
from portal.notifications import messages
from portal.notifications import services as notifications

CHOSEN_BY_PARTIES = "odr_chosen_by_parties"
ACTIVE = (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)
PARTY_ROLES = (ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT)
TEXT_MAX = 2000


def party_slots(case: Case) -> list[int | None]:
    """The account of each party that takes part in the joint choice (None: no account)."""
    return [p.user_id for p in case.participants if p.role in PARTY_ROLES]


def choices(session: Session, case_id: int) -> dict[int, int]:
    """Who picked whom so far: party user id → mediator id."""
    rows = session.execute(select(MediatorChoice.user_id, MediatorChoice.mediator_id)
                           .where(MediatorChoice.case_id == case_id)).all()
    return {user_id: mediator_id for user_id, mediator_id in rows}


def assignments_of(session: Session, case_id: int) -> list[MediatorAssignment]:
    return list(session.execute(
        select(MediatorAssignment).where(MediatorAssignment.case_id == case_id)
        .options(selectinload(MediatorAssignment.mediator),
                 selectinload(MediatorAssignment.change_requested_by))
        .order_by(MediatorAssignment.id)
    ).scalars())


def current(session: Session, case: Case) -> MediatorAssignment | None:
    """The appointment of the case's mediator, while it is pending or accepted."""
    if case.mediator_id is None:
        return None
    return session.execute(
        select(MediatorAssignment).where(
            MediatorAssignment.case_id == case.id,
            MediatorAssignment.mediator_id == case.mediator_id,
            MediatorAssignment.status.in_(ACTIVE))
        .order_by(MediatorAssignment.id.desc()).limit(1)
    ).scalar_one_or_none()


def pending_for(session: Session, mediator_id: int) -> list[tuple[MediatorAssignment, Case]]:
    rows = session.execute(
        select(MediatorAssignment, Case).join(Case, Case.id == MediatorAssignment.case_id)
        .where(MediatorAssignment.mediator_id == mediator_id,
               MediatorAssignment.status == AssignmentStatus.PENDING,
               Case.mediator_id == mediator_id)
        .order_by(MediatorAssignment.due_at)
    ).all()
    return [(a, c) for a, c in rows]


def _mediator(session: Session, case: Case, mediator_id: int | None) -> User:
    found = next((m for m in cases.mediators_for(session, case) if m.id == mediator_id), None)
    if found is None:
        raise cases.MissingInput("mediator_id", N_("Choose a mediator of this body."))
    return found


def _require(session: Session, case: Case, actor: User, *wanted: Actor) -> None:
    if not access.capacities(session, case, actor) & set(wanted):
        raise cases.NotAllowed(case.number)


def choose(session: Session, *, case: Case, actor: User, mediator_id: int | None,
           now: dt.datetime | None = None) -> CaseEvent | None:
    """A party's pick; the event when it completes a unanimous choice."""
    # Locked so that two parties choosing at once still see each other's pick.
    status = session.execute(
        select(Case.status).where(Case.id == case.id).with_for_update()).scalar_one()
    if status is not Status.RESPONDENT_AGREED:
        raise IllegalTransition(status, Trigger.ASSIGN_MEDIATOR)
    _require(session, case, actor, Actor.APPLICANT, Actor.RESPONDENT)
    window = deadlines.current(session, case.id, DeadlineKind.CHOOSE_MEDIATOR)
    if window is None or window.due_at <= (now or utcnow()):
        raise cases.MissingInput("mediator_id", N_(
            "The time for the parties to choose a mediator together is over; the body will "
            "assign one."))
    mediator = _mediator(session, case, mediator_id)
    row = session.execute(select(MediatorChoice).where(
        MediatorChoice.case_id == case.id, MediatorChoice.user_id == actor.id)
    ).scalar_one_or_none()
    if row is None:
        session.add(MediatorChoice(case_id=case.id, user_id=actor.id, mediator_id=mediator.id))
    else:
        row.mediator_id = mediator.id
    session.flush()
    audit.append(session, kind="case", action="case.mediator_chosen",
                 subject=f"case:{case.number}", actor_id=actor.id,
                 data={"mediator": mediator.id})
    return _settle(session, case)


def unanimous(session: Session, case: Case) -> int | None:
    """The mediator every party picked, if all have picked the same one."""
    picks = choices(session, case.id)
    slots = party_slots(case)
    if not slots or any(u is None or u not in picks for u in slots):
        return None
    chosen = {picks[u] for u in slots if u is not None}
    return chosen.pop() if len(chosen) == 1 else None


def _settle(session: Session, case: Case) -> CaseEvent | None:
    chosen = unanimous(session, case)
    if chosen is not None:
        session.info[CHOSEN_BY_PARTIES] = True
        return _appoint(session, case=case, actor=None, mediator_id=chosen, reason="")
    picks = choices(session, case.id)
    if all(u is not None and u in picks for u in party_slots(case)):
        # One notice per set of picks: a party who changes their pick may be noticed again.
        digest = hashlib.sha256(repr(sorted(picks.items())).encode()).hexdigest()[:16]
        notifications.notify_users(
            session, occasion=f"choice:{case.id}:{digest}",
            user_ids=notifications.body_admin_ids(session, case.body_id), case=case,
            message=messages.PARTIES_DID_NOT_CHOOSE)
    return None


def _appoint(session: Session, *, case: Case, actor: User | None, mediator_id: int,
             reason: str) -> CaseEvent:
    trigger = (Trigger.ASSIGN_MEDIATOR if case.status is Status.RESPONDENT_AGREED
               else Trigger.REASSIGN_MEDIATOR)
    # Set first: the follow-up records the appointment of ``case.mediator_id``.
    case.mediator_id = mediator_id
    try:
        return cases.transition(session, case=case, trigger=trigger, actor=actor,
                                reason=reason)
    finally:
        session.info.pop(CHOSEN_BY_PARTIES, None)


def assign(session: Session, *, case: Case, actor: User, mediator_id: int | None,
           reason: str = "") -> CaseEvent:
    """The body assigns a mediator, or replaces one (a reason is then required)."""
    if case.status not in (Status.RESPONDENT_AGREED, Status.MEDIATOR_ASSIGNED,
                           Status.IN_MEDIATION):
        raise IllegalTransition(case.status, Trigger.ASSIGN_MEDIATOR)
    _require(session, case, actor, Actor.BODY)
    mediator = _mediator(session, case, mediator_id)
    clean = reason.strip()[:TEXT_MAX]
    if case.status is not Status.RESPONDENT_AGREED:
        if mediator.id == case.mediator_id:
            raise cases.MissingInput("mediator_id", N_("This mediator is already assigned. "
                                                       "Choose another one."))
        if not clean:
            raise cases.MissingInput("reason", N_("Please give a reason; it is shown on the "
                                                  "case timeline."))
    declined = {a.mediator_id for a in assignments_of(session, case.id)
                if a.status is AssignmentStatus.DECLINED}
    if mediator.id in declined:
        raise cases.MissingInput("mediator_id", N_("This mediator has declined this case. "
                                                   "Choose another one."))
    session.info[CHOSEN_BY_PARTIES] = unanimous(session, case) == mediator.id
    return _appoint(session, case=case, actor=actor, mediator_id=mediator.id, reason=clean)


def answer(session: Session, *, case: Case, actor: User, accept: bool, no_conflict: bool,
           conflict: str = "", reason: str = "", now: dt.datetime | None = None
           ) -> CaseEvent | None:
    """The mediator's answer: accepting starts mediation; a declared conflict declines."""
    now = now or utcnow()
    _require(session, case, actor, Actor.MEDIATOR)
    row = current(session, case)
    if row is None or row.status is not AssignmentStatus.PENDING:
        raise IllegalTransition(case.status, Trigger.START_MEDIATION)
    if row.due_at <= now:
        raise cases.MissingInput("decision", N_("The time to answer this assignment has "
                                                "passed."))
    conflict, reason = conflict.strip()[:TEXT_MAX], reason.strip()[:TEXT_MAX]
    if accept and not conflict:
        if not no_conflict:
            raise cases.MissingInput("no_conflict", N_(
                "Confirm that you have no conflict of interest, or describe the conflict."))
        row.status, row.responded_at = AssignmentStatus.ACCEPTED, now
        return cases.transition(session, case=case, trigger=Trigger.START_MEDIATION,
                                actor=actor)
    if not (conflict or reason):
        raise cases.MissingInput("reason", N_("Say why you decline the case."))
    row.status, row.responded_at = AssignmentStatus.DECLINED, now
    row.conflict_note, row.reason = conflict, reason
    audit.append(session, kind="case", action="case.mediator_declined",
                 subject=f"case:{case.number}", actor_id=actor.id,
                 data={"assignment": row.id, "conflict": conflict, "reason": reason})
    vacate(session, case=case, assignment=row, message=messages.MEDIATOR_DECLINED, now=now)
    return None


def vacate(session: Session, *, case: Case, assignment: MediatorAssignment, message: str,
           now: dt.datetime) -> None:
    """The mediator is off the case: the body has 3 working days to assign another."""
    case.mediator_id = None
    case.updated_at = now
    deadlines.close_kind(session, case_id=case.id, kind=DeadlineKind.MEDIATOR_ANSWER,
                         outcome=deadlines.MET if assignment.responded_at else
                         deadlines.EXPIRED, now=now)
    if deadlines.current(session, case.id, DeadlineKind.ASSIGN_MEDIATOR) is None:
        deadlines.open_deadline(session, case=case, kind=DeadlineKind.ASSIGN_MEDIATOR,
                                start=now)
    notifications.notify_users(
        session, occasion=f"assignment:{assignment.id}:vacated",
        user_ids=notifications.body_admin_ids(session, case.body_id), case=case,
        message=message)


def request_change(session: Session, *, case: Case, actor: User, reason: str) -> None:
    """A party asks the body for another mediator."""
    _require(session, case, actor, Actor.APPLICANT, Actor.RESPONDENT)
    row = current(session, case)
    if row is None:
        raise IllegalTransition(case.status, Trigger.REASSIGN_MEDIATOR)
    clean = reason.strip()[:TEXT_MAX]
    if not clean:
        raise cases.MissingInput("reason", N_("Say why you ask for another mediator; the body "
                                              "will review the request."))
    row.change_requested_by_id, row.change_request = actor.id, clean
    entry = audit.append(session, kind="case", action="case.mediator_change_requested",
                         subject=f"case:{case.number}", actor_id=actor.id,
                         data={"assignment": row.id, "reason": clean})
    session.flush()
    notifications.notify_users(
        session, occasion=f"change-request:{entry.id}",
        user_ids=notifications.body_admin_ids(session, case.body_id), case=case,
        message=messages.CHANGE_REQUESTED)


def after_transition(session: Session, event: CaseEvent) -> None:
    case = event.case
    if event.trigger is Trigger.RESPONDENT_AGREE:
        _seed_applicant_choice(session, case)
    elif event.trigger in (Trigger.ASSIGN_MEDIATOR, Trigger.REASSIGN_MEDIATOR):
        _record_appointment(session, event)
    elif event.trigger is Trigger.START_MEDIATION:
        row = current(session, case)
        if row is not None and row.status is AssignmentStatus.PENDING:
            row.status, row.responded_at = AssignmentStatus.ACCEPTED, event.created_at


def _seed_applicant_choice(session: Session, case: Case) -> None:
    """The mediator named in the application counts as the applicant's pick."""
    preferred = case.preferred_mediator_id
    if (preferred is None or case.applicant_id is None
            or case.applicant_id in choices(session, case.id)):
        return
    if any(m.id == preferred for m in cases.mediators_for(session, case)):
        session.add(MediatorChoice(case_id=case.id, user_id=case.applicant_id,
                                   mediator_id=preferred))


def _record_appointment(session: Session, event: CaseEvent) -> None:
    case = event.case
    for row in session.execute(select(MediatorAssignment).where(
            MediatorAssignment.case_id == case.id,
            MediatorAssignment.status.in_(ACTIVE))).scalars():
        row.status = AssignmentStatus.REPLACED
    if case.mediator_id is None:
        return
    answer_by = deadlines.current(session, case.id, DeadlineKind.MEDIATOR_ANSWER)
    session.add(MediatorAssignment(
        case_id=case.id, mediator_id=case.mediator_id,
        chosen_by_parties=bool(session.info.pop(CHOSEN_BY_PARTIES, False)),
        due_at=answer_by.due_at if answer_by else event.created_at + dt.timedelta(days=3)))
    session.flush()
