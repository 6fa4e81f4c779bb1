"""Notices: each case event moves the case to its next actors and tells them.

Everyone involved gets an in-portal notice of an event; those who must act next get one
saying what to do; key events also go to the parties by SMS and e-mail. Each message goes
out once per event, recipient and channel, however often the task runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.models import Area
from portal.cases.models import Case, CaseEvent, CaseParticipant, ParticipantRole
from portal.db.types import utcnow
from portal.i18n import translate
from portal.notifications import delivery
from portal.notifications.messages import CASE_MOVED, EMAIL_SUBJECT, NEXT_ACTION, TEXTS
from portal.notifications.models import Notification

__all__ = ["CASE_MOVED", "mark_all_read", "notify_case_event", "notify_users", "unread_count"]


def body_admin_ids(session: Session, body_id: int | None) -> set[int]:
    if body_id is None:
        return set()
    return set(session.execute(
        select(User.id).where(User.role == Role.BODY_ADMIN, User.body_id == body_id,
                              User.is_active.is_(True))
    ).scalars())


def dispatcher_ids(session: Session, area_id: int | None) -> set[int]:
    """Dispatchers whose area contains ``area_id`` (theirs or one below it)."""
    area = session.get(Area, area_id) if area_id is not None else None
    if area is None:
        return set()
    return set(session.execute(
        select(User.id).where(User.role == Role.DISPATCHER, User.is_active.is_(True),
                              User.area_id.in_([a.id for a in area.lineage()]))
    ).scalars())


def _party_ids(case: Case, *roles: ParticipantRole) -> set[int]:
    return {p.user_id for p in case.participants if p.user_id is not None and p.role in roles}


def audience_ids(session: Session, case: Case, audience: str) -> set[int]:
    match audience:
        case "body":
            return body_admin_ids(session, case.body_id)
        case "applicant":
            return _party_ids(case, ParticipantRole.APPLICANT, ParticipantRole.AGENT)
        case "respondents":
            return _party_ids(case, ParticipantRole.RESPONDENT)
        case "parties":
            return _party_ids(case, *ParticipantRole)
        case "mediator":
            return {case.mediator_id} if case.mediator_id is not None else set()
    raise ValueError(audience)


def recipients(session: Session, event: CaseEvent) -> set[int]:
    case = event.case
    ids = {p.user_id for p in case.participants if p.user_id is not None}
    if case.mediator_id is not None:
        ids.add(case.mediator_id)
    ids |= body_admin_ids(session, case.body_id)
    if event.actor_id is not None:
        ids.discard(event.actor_id)
    return ids


def next_actions(session: Session, event: CaseEvent) -> dict[int, str]:
    """The people who must act after ``event``, each with what they are told."""
    found: dict[int, str] = {}
    for audience, message in NEXT_ACTION.get(event.to_status, []):
        for user_id in audience_ids(session, event.case, audience):
            found.setdefault(user_id, message)
    found.pop(event.actor_id or 0, None)
    return found


def notify_case_event(session: Session, event_id: int) -> int:
    """Tell everyone about one event; returns the number of new in-portal notices."""
    event = session.get(CaseEvent, event_id)
    if event is None:
        return 0
    case = event.case
    already = set(session.execute(
        select(Notification.user_id).where(Notification.event_id == event_id)
    ).scalars())
    actions = next_actions(session, event)
    params = json.dumps({"number": case.number, "status": event.to_status.value})
    created = 0
    for user_id in sorted((recipients(session, event) | set(actions)) - already):
        session.add(Notification(
            user_id=user_id, case_id=case.id, event_id=event.id,
            message=actions.get(user_id, CASE_MOVED), params=params,
            link=f"/cases/{case.number}",
        ))
        created += 1
    _send_texts(session, event)
    return created


def _send_texts(session: Session, event: CaseEvent) -> None:
    found = TEXTS.get(event.trigger)
    if found is None:
        return
    audience, text = found
    case = event.case
    roles = ({ParticipantRole.APPLICANT, ParticipantRole.AGENT} if audience == "applicant"
             else set(ParticipantRole))
    params = {"number": case.number, "body": case.body.name if case.body else "",
              "mediator": case.mediator.name if case.mediator else ""}
    for participant in case.participants:
        if participant.role not in roles or (
                event.actor_id is not None and participant.user_id == event.actor_id):
            continue
        message_to_participant(session, participant, occasion=f"event:{event.id}",
                               text=text, params=params)


def message_to_participant(session: Session, participant: CaseParticipant, *, occasion: str,
                           text: str, params: dict[str, str]) -> None:
    """SMS, and e-mail where there is an address, in the participant's language."""
    user = session.get(User, participant.user_id) if participant.user_id else None
    with delivery.in_locale(user.locale if user else None):
        body = translate(text, **params)
        subject = translate(EMAIL_SUBJECT, **params)
    delivery.send_sms(session, occasion=occasion, phone=participant.phone, text=body)
    delivery.send_email(session, occasion=occasion, address=participant.email,
                        subject=subject, text=body)


def notify_users(session: Session, *, occasion: str, user_ids: Iterable[int], case: Case,
                 message: str) -> int:
    """In-portal notices that follow no event (a deadline passed, a request was made).

    ``occasion`` names what happened ("deadline:12:expired"); each user hears of it once.
    """
    params = json.dumps({"number": case.number, "status": case.status.value})
    created = 0
    for user_id in sorted(set(user_ids)):
        if delivery.claim(session, occasion=occasion, channel=delivery.PORTAL,
                          recipient=str(user_id)):
            session.add(Notification(user_id=user_id, case_id=case.id, message=message,
                                     params=params, link=f"/cases/{case.number}"))
            created += 1
    return created


def unread_count(session: Session, user_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_all_read(session: Session, user_id: int) -> None:
    for n in session.execute(
        select(Notification).where(Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
    ).scalars():
        n.read_at = utcnow()
