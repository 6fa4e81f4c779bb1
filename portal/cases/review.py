"""The body's review of a submitted case: accept, decline, or refer to another body.

A declined case may be taken by the applicant to another body (``resubmit``). Referral
and resubmission change the case's body: the service names the new body in
``session.info`` and this module's follow-up moves the case once ``transition`` has checked
the actor against the old body, so a bare ``refer`` without a body is refused.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.audit import services as audit
from portal.bodies.models import MediationBody
from portal.bodies.services import Suggestion, accepts, suggest_bodies
from portal.cases import consent
from portal.cases import services as cases
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Trigger
from portal.i18n import N_

NEW_BODY = "odr_new_body_id"
MOVES = frozenset({Trigger.REFER, Trigger.RESUBMIT, Trigger.DISPATCH})
REASON_MAX = 2000


def accept(session: Session, *, case: Case, actor: User) -> list[CaseEvent]:
    """Accept, then invite the respondents at once when they can be reached by SMS."""
    events = [cases.transition(session, case=case, trigger=Trigger.ACCEPT, actor=actor)]
    if any(p.phone for p in consent.respondents(case)):
        events.append(consent.contact_respondents(session, case=case, actor=actor))
    return events


def _reason(reason: str, message: str) -> str:
    clean = reason.strip()
    if not clean:
        raise cases.MissingInput("reason", message)
    return clean[:REASON_MAX]


def decline(session: Session, *, case: Case, actor: User, reason: str) -> CaseEvent:
    clean = _reason(reason, N_("Tell the applicant why the case is declined; they will see "
                               "it and may choose another body."))
    return cases.transition(session, case=case, trigger=Trigger.DECLINE, actor=actor,
                            reason=clean)


def referral_targets(session: Session, case: Case) -> list[MediationBody]:
    """Active bodies other than the case's own, by level and name."""
    return list(session.execute(
        select(MediationBody).where(MediationBody.is_active.is_(True),
                                    MediationBody.id != (case.body_id or 0))
        .options(selectinload(MediationBody.area))
        .order_by(MediationBody.level, MediationBody.name)
    ).scalars())


def other_bodies(session: Session, case: Case, *, limit: int = 5) -> list[Suggestion]:
    """The best other bodies for the case's dispute type and area."""
    found = suggest_bodies(session, dispute_type=case.dispute_type, area_id=case.area_id,
                           limit=limit + 1)
    return [s for s in found if s.body.id != case.body_id][:limit]


def _target(session: Session, case: Case, body_id: int | None) -> MediationBody:
    body = session.get(MediationBody, body_id) if body_id is not None else None
    if body is None or not body.is_active:
        raise cases.MissingInput("body_id", N_("Choose a mediation body from the list."))
    if body.id == case.body_id:
        raise cases.MissingInput("body_id", N_("Choose a body other than the one that has the "
                                               "case now."))
    return body


def _move(session: Session, *, case: Case, trigger: Trigger, actor: User, body: MediationBody,
          reason: str) -> CaseEvent:
    session.info[NEW_BODY] = body.id
    try:
        return cases.transition(session, case=case, trigger=trigger, actor=actor,
                                reason=reason)
    finally:
        session.info.pop(NEW_BODY, None)


def refer(session: Session, *, case: Case, actor: User, body_id: int | None,
          reason: str) -> CaseEvent:
    """Send the case to another body or level, which reviews it afresh."""
    body = _target(session, case, body_id)
    clean = _reason(reason, N_("Say why the case goes to another body; it is shown on the "
                               "timeline."))
    return _move(session, case=case, trigger=Trigger.REFER, actor=actor, body=body,
                 reason=clean)


def resubmit(session: Session, *, case: Case, actor: User, body_id: int | None,
             reason: str = "") -> CaseEvent:
    """The applicant takes a declined case to another body."""
    body = _target(session, case, body_id)
    if not accepts(body, case.dispute_type):
        raise cases.MissingInput("body_id", N_("This body does not take this type of "
                                               "dispute. Choose another one."))
    return _move(session, case=case, trigger=Trigger.RESUBMIT, actor=actor, body=body,
                 reason=reason.strip()[:REASON_MAX])


def after_transition(session: Session, event: CaseEvent) -> None:
    if event.trigger not in MOVES:
        return
    body_id = session.info.pop(NEW_BODY, None)
    if body_id is None:
        raise cases.MissingInput("body_id", N_("Choose the mediation body that should review "
                                               "the case, on the case page's review form."))
    case = event.case
    audit.append(session, kind="case", action="case.body_changed",
                 subject=f"case:{case.number}", actor_id=event.actor_id,
                 data={"event": event.id, "from": case.body_id, "to": body_id})
    case.body = session.get(MediationBody, body_id)
