"""A case in mediation with both sides (and the respondent's agent), for session tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.states import Status
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from tests.factories import AreaFactory, BodyFactory, CaseFactory, UserFactory

APPLICANT_EMAIL = "zhangsan@example.com"
RESPONDENT_PHONE = "13700001111"
RESPONDENT_EMAIL = "lisi@example.com"
AGENT_PHONE = "13600002222"


@dataclass
class World:
    case: Case
    applicant: User
    respondent: User
    mediator: User
    other_mediator: User
    boss: User
    applicant_party: CaseParticipant
    respondent_party: CaseParticipant
    agent: CaseParticipant

    @property
    def party_ids(self) -> list[int]:
        return [self.applicant_party.id, self.respondent_party.id]


def next_hour(days: float = 2, now: dt.datetime | None = None) -> dt.datetime:
    """A whole hour about ``days`` from now, in UTC."""
    moment = (now or utcnow()) + dt.timedelta(days=days)
    return moment.replace(minute=0, second=0, microsecond=0)


def _phone(base: str, key: int) -> str:
    return base if key == 0 else f"{base[:-2]}{key:02d}"


def mediation_world(session: Session, *, status: Status = Status.IN_MEDIATION,
                    period: bool = True, key: int = 0) -> World:
    """``key`` > 0 makes a second world with other phone numbers."""
    area = AreaFactory()
    body = BodyFactory(area=area)
    applicant = UserFactory(phone=_phone("13900009999", key), name="张三")
    respondent = UserFactory(phone=_phone("13900008888", key), name="李四")
    mediator = UserFactory(role=Role.MEDIATOR, body_id=body.id, name="王调解")
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=area.id,
                       mediator_id=mediator.id, status=status, dispute_type="labour")
    applicant_party = case.participants[0]
    applicant_party.phone, applicant_party.email = applicant.phone, APPLICANT_EMAIL
    respondent_party = CaseParticipant(role=ParticipantRole.RESPONDENT, user_id=respondent.id,
                                       name="李四", phone=_phone(RESPONDENT_PHONE, key),
                                       email=RESPONDENT_EMAIL)
    case.participants.append(respondent_party)
    session.flush()
    agent = CaseParticipant(role=ParticipantRole.AGENT, name="赵律师",
                            phone=_phone(AGENT_PHONE, key),
                            represents_id=respondent_party.id, relation="lawyer")
    case.participants.append(agent)
    session.commit()
    if period:
        deadlines.open_deadline(session, case=case, kind=DeadlineKind.MEDIATION_END,
                                start=utcnow())
        session.commit()
    return World(case=case, applicant=applicant, respondent=respondent, mediator=mediator,
                 other_mediator=UserFactory(role=Role.MEDIATOR, body_id=body.id, name="赵调解"),
                 boss=UserFactory(role=Role.BODY_ADMIN, body_id=body.id, name="李主任"),
                 applicant_party=applicant_party, respondent_party=respondent_party,
                 agent=agent)


def add_session(session: Session, case: Case, mediator: User, party: User) -> Any:
    """A scheduled session row (no checks, no notices) inviting ``party``, with one open
    request from it to move the session; its ``requests`` attribute lists that request."""
    from portal.mediation import tokens
    from portal.mediation.models import (
        InviteeRole,
        MediationSession,
        RescheduleRequest,
        SessionInvitee,
        SessionMode,
        Side,
    )

    start = next_hour()
    meeting = MediationSession(case_id=case.id, mediator_id=mediator.id, starts_at=start,
                               duration_minutes=60, ends_at=start + dt.timedelta(hours=1),
                               mode=SessionMode.ONLINE)
    participant = next(p for p in case.participants if p.user_id == party.id)
    meeting.invitees += [
        SessionInvitee(user_id=mediator.id, name=mediator.name, role=InviteeRole.MEDIATOR,
                       token_hash="m" * 64, token_salt=""),
        SessionInvitee(participant_id=participant.id, name=participant.name,
                       role=InviteeRole.PARTY, side=Side.APPLICANT, token_hash="p" * 64,
                       token_salt="")]
    session.add(meeting)
    session.flush()
    for invitee in meeting.invitees:
        tokens.issue(invitee)
    request = RescheduleRequest(session_id=meeting.id, requested_by_id=party.id, reason="出差",
                                proposed="下周")
    session.add(request)
    session.commit()
    meeting.requests = [request]  # type: ignore[attr-defined]
    return meeting
