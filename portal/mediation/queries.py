"""Reading sessions: a case's sessions and requests, a user's invitations and upcoming ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.cases.models import CaseParticipant
from portal.mediation.models import (
    MediationSession,
    RequestStatus,
    RescheduleRequest,
    SessionInvitee,
    SessionStatus,
)


def open_requests(session: Session, meeting_id: int) -> list[RescheduleRequest]:
    return list(session.execute(select(RescheduleRequest).where(
        RescheduleRequest.session_id == meeting_id,
        RescheduleRequest.status == RequestStatus.OPEN).order_by(RescheduleRequest.id)
    ).scalars())


def invitee_of(meeting: MediationSession, user_id: int) -> SessionInvitee | None:
    """``user_id``'s invitation to ``meeting``, as staff or through their party row."""
    return next((i for i in meeting.invitees if i.removed_at is None and (
        i.user_id == user_id or (i.participant is not None
                                 and i.participant.user_id == user_id))), None)


def sessions_of_case(session: Session, case_id: int) -> list[MediationSession]:
    return list(session.execute(select(MediationSession).where(
        MediationSession.case_id == case_id).order_by(MediationSession.starts_at.desc(),
                                                      MediationSession.id.desc())).scalars())


def requests_of(session: Session, meeting_ids: Collection[int]) -> list[RescheduleRequest]:
    if not meeting_ids:
        return []
    return list(session.execute(select(RescheduleRequest).where(
        RescheduleRequest.session_id.in_(list(meeting_ids))).order_by(RescheduleRequest.id)
        .options(selectinload(RescheduleRequest.requested_by))).scalars())


def upcoming_query(user_id: int, now: dt.datetime) -> Select[MediationSession]:
    """Sessions ``user_id`` is invited to that have not ended, soonest first."""
    mine = exists().where(
        SessionInvitee.session_id == MediationSession.id, SessionInvitee.removed_at.is_(None),
        or_(SessionInvitee.user_id == user_id, SessionInvitee.participant_id.in_(
            select(CaseParticipant.id).where(CaseParticipant.user_id == user_id))))
    return select(MediationSession).where(
        mine, or_(MediationSession.status == SessionStatus.LIVE,
                  (MediationSession.status == SessionStatus.SCHEDULED)
                  & (MediationSession.ends_at > now)))
