"""In-portal notices: each case event moves the case to its next actors and tells them."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases.models import CaseEvent
from portal.db.types import utcnow
from portal.notifications.models import Notification

CASE_MOVED = "Case {number} is now: {status}"


def recipients(session: Session, event: CaseEvent) -> set[int]:
    case = event.case
    ids = {p.user_id for p in case.participants if p.user_id is not None}
    if case.mediator_id is not None:
        ids.add(case.mediator_id)
    if case.body_id is not None:
        ids.update(session.execute(
            select(User.id).where(User.role == Role.BODY_ADMIN, User.body_id == case.body_id,
                                  User.is_active.is_(True))
        ).scalars())
    if event.actor_id is not None:
        ids.discard(event.actor_id)
    return ids


def notify_case_event(session: Session, event_id: int) -> int:
    """Create the notices for one event; running it twice creates nothing new."""
    event = session.get(CaseEvent, event_id)
    if event is None:
        return 0
    already = set(session.execute(
        select(Notification.user_id).where(Notification.event_id == event_id)
    ).scalars())
    created = 0
    for user_id in sorted(recipients(session, event) - already):
        session.add(Notification(
            user_id=user_id, case_id=event.case_id, event_id=event.id, message=CASE_MOVED,
            params=json.dumps({"number": event.case.number, "status": event.to_status.value}),
            link=f"/cases/{event.case.number}",
        ))
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
