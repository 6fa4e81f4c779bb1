"""Scheduling mediation sessions: schedule, cancel, reschedule, and the parties' requests.

Only the case's mediator schedules; every change is audited, and the invitees are told
after the transaction commits (portal.mediation.tasks). What the video room needs of a
session (join links, identity, consent, chat) is in portal.mediation.room.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit import services as audit
from portal.cases import access
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Actor
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.i18n import N_
from portal.mediation import notices, tasks, tokens
from portal.mediation.models import (
    MAX_MINUTES,
    MEDIATING,
    MIN_MINUTES,
    Attendance,
    InviteeRole,
    MediationSession,
    RequestStatus,
    RescheduleRequest,
    SessionInvitee,
    SessionMode,
    SessionStatus,
    Side,
)
from portal.mediation.queries import invitee_of, open_requests
from portal.worker import send_after_commit

__all__ = ["MissingInput", "NotAllowed"]

ACTIVE = (SessionStatus.SCHEDULED, SessionStatus.LIVE)
TEXT_MAX = 2000
LOCATION_MAX = 300
PARTY_SIDES = {ParticipantRole.APPLICANT: Side.APPLICANT,
               ParticipantRole.RESPONDENT: Side.RESPONDENT}


@dataclass(frozen=True)
class Plan:
    """What the mediator chose; ``starts_at`` and ``duration`` are None when unreadable."""

    starts_at: dt.datetime | None
    duration: int | None
    mode: str
    location: str = ""
    participant_ids: Collection[int] = ()
    # Those of the invited who come to the service centre (mode in_person only); none
    # named means every invited party comes.
    in_person_ids: Collection[int] = ()
    recording_requested: bool = False


def side_of(case: Case, participant: CaseParticipant) -> Side:
    role: ParticipantRole | None = participant.role
    if role is ParticipantRole.AGENT:
        principal = next((p for p in case.participants if p.id == participant.represents_id),
                         None)
        role = principal.role if principal is not None else None
    return PARTY_SIDES.get(role, Side.NONE) if role is not None else Side.NONE


def require_mediator(session: Session, case: Case, actor: User) -> None:
    if Actor.MEDIATOR not in access.capacities(session, case, actor):
        raise NotAllowed(f"sessions of {case.number}")


def clash(session: Session, *, mediator_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
          exclude_id: int | None = None) -> MediationSession | None:
    """The mediator's first active session overlapping [starts_at, ends_at)."""
    query = select(MediationSession).where(
        MediationSession.mediator_id == mediator_id, MediationSession.status.in_(ACTIVE),
        MediationSession.starts_at < ends_at, MediationSession.ends_at > starts_at)
    if exclude_id is not None:
        query = query.where(MediationSession.id != exclude_id)
    return session.execute(query.order_by(MediationSession.starts_at).limit(1)).scalars().first()


def _check_time(session: Session, case: Case, actor: User, plan: Plan, now: dt.datetime,
                exclude_id: int | None) -> tuple[dt.datetime, dt.datetime]:
    if plan.starts_at is None:
        raise MissingInput("starts_at", N_("Enter the date and time of the session."))
    if plan.starts_at <= now:
        raise MissingInput("starts_at", N_("Choose a time in the future."))
    if plan.duration is None or not MIN_MINUTES <= plan.duration <= MAX_MINUTES:
        raise MissingInput("duration", N_("A session lasts from 15 minutes to 8 hours (480 "
                                          "minutes)."))
    ends_at = plan.starts_at + dt.timedelta(minutes=plan.duration)
    period = deadlines.current(session, case.id, DeadlineKind.MEDIATION_END)
    if period is not None and ends_at > period.due_at:
        raise MissingInput("starts_at", N_("The session must end by {due}, when the case's "
                                           "mediation period ends."),
                           due=notices.when(period.due_at))
    # Serialise one mediator's scheduling, so two at once cannot both pass the overlap check.
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    other = clash(session, mediator_id=actor.id, starts_at=plan.starts_at, ends_at=ends_at,
                  exclude_id=exclude_id)
    if other is not None:
        raise MissingInput("starts_at", N_("You have another session from {start} to {end}. "
                                           "Choose another time."),
                           start=notices.when(other.starts_at), end=notices.when(other.ends_at))
    return plan.starts_at, ends_at


def _check_people(case: Case, mode: SessionMode,
                  plan: Plan) -> tuple[list[CaseParticipant], set[int]]:
    wanted, in_person = set(plan.participant_ids), set(plan.in_person_ids)
    chosen = [p for p in case.participants if p.id in wanted]
    if len(chosen) != len(wanted):
        raise MissingInput("invitees", N_("Choose the people to invite from the list."))
    if {Side.APPLICANT, Side.RESPONDENT} - {side_of(case, p) for p in chosen}:
        raise MissingInput("invitees", N_("Invite at least one person from each side: the "
                                          "applicant's and the respondent's."))
    if mode is SessionMode.ONLINE and in_person:
        raise MissingInput("in_person", N_("Only a session at a service centre can have people "
                                           "attending in person."))
    if not in_person <= wanted:
        raise MissingInput("in_person", N_("Only invited people can attend in person."))
    if mode is SessionMode.IN_PERSON and not in_person:
        in_person = wanted
    return chosen, in_person


def _check(session: Session, case: Case, actor: User, plan: Plan, now: dt.datetime,
           exclude_id: int | None = None) -> tuple[SessionMode, list[CaseParticipant], set[int]]:
    require_mediator(session, case, actor)
    if case.status not in MEDIATING:
        raise MissingInput("status", N_("Sessions can be scheduled only while the case is in "
                                        "mediation."))
    try:
        mode = SessionMode(plan.mode)
    except ValueError:
        raise MissingInput("mode", N_("Choose whether the session is online or at a service "
                                      "centre.")) from None
    if mode is SessionMode.IN_PERSON and not plan.location.strip():
        raise MissingInput("location", N_("Enter the address of the service centre where the "
                                          "session takes place."))
    if len(plan.location.strip()) > LOCATION_MAX:
        raise MissingInput("location", N_("Keep the address under 300 characters."))
    _check_time(session, case, actor, plan, now, exclude_id)
    chosen, in_person = _check_people(case, mode, plan)
    return mode, chosen, in_person


def _invitee(meeting: MediationSession, **values: object) -> SessionInvitee:
    # A random placeholder until the row has the id its link is derived from.
    invitee = SessionInvitee(token_hash=secrets.token_hex(32), token_salt="", **values)
    meeting.invitees.append(invitee)
    return invitee


def _create(session: Session, *, case: Case, actor: User, plan: Plan, now: dt.datetime,
            replaces: MediationSession | None) -> MediationSession:
    mode, chosen, in_person = _check(session, case, actor, plan, now,
                                     replaces.id if replaces else None)
    assert plan.starts_at is not None and plan.duration is not None
    meeting = MediationSession(
        case_id=case.id, mediator_id=actor.id, starts_at=plan.starts_at,
        duration_minutes=plan.duration,
        ends_at=plan.starts_at + dt.timedelta(minutes=plan.duration), mode=mode,
        location=plan.location.strip() if mode is SessionMode.IN_PERSON else "",
        status=SessionStatus.SCHEDULED, recording_requested=plan.recording_requested,
        replaces_id=replaces.id if replaces else None, created_at=now)
    session.add(meeting)
    here = Attendance.IN_PERSON if mode is SessionMode.IN_PERSON else Attendance.ONLINE
    _invitee(meeting, user_id=actor.id, name=actor.name, role=InviteeRole.MEDIATOR,
             side=Side.NONE, attends=here)
    for p in chosen:
        _invitee(meeting, participant_id=p.id, name=p.name,
                 role=InviteeRole.AGENT if p.role is ParticipantRole.AGENT else InviteeRole.PARTY,
                 side=side_of(case, p),
                 attends=Attendance.IN_PERSON if p.id in in_person else Attendance.ONLINE)
    session.flush()
    for invitee in meeting.invitees:
        tokens.issue(invitee)
    session.flush()
    audit.append(session, kind="mediation",
                 action="session.rescheduled" if replaces else "session.scheduled",
                 subject=f"case:{case.number}", actor_id=actor.id,
                 data={"session": meeting.id, "starts_at": meeting.starts_at.isoformat(),
                       "minutes": meeting.duration_minutes, "mode": mode.value,
                       "location": meeting.location, "recording": meeting.recording_requested,
                       "participants": sorted(p.id for p in chosen),
                       "in_person": sorted(in_person),
                       "replaces": replaces.id if replaces else None})
    return meeting


def schedule(session: Session, *, case: Case, actor: User, starts_at: dt.datetime | None,
             duration: int | None, mode: str, location: str = "",
             participant_ids: Collection[int] = (), in_person_ids: Collection[int] = (),
             recording_requested: bool = False, now: dt.datetime | None = None
             ) -> MediationSession:
    """The mediator schedules a session; raises MissingInput naming the field at fault."""
    plan = Plan(starts_at, duration, mode, location, participant_ids, in_person_ids,
                recording_requested)
    meeting = _create(session, case=case, actor=actor, plan=plan, now=now or utcnow(),
                      replaces=None)
    send_after_commit(session, tasks.notify_session, meeting.id, notices.SCHEDULED)
    return meeting


def _lock_scheduled(session: Session, meeting: MediationSession) -> None:
    status = session.execute(select(MediationSession.status).where(
        MediationSession.id == meeting.id).with_for_update()).scalar_one()
    if status is not SessionStatus.SCHEDULED:
        raise MissingInput("status", N_("This session has already started, ended or been "
                                        "cancelled. Reload the page."))


def _close(meeting: MediationSession, now: dt.datetime, reason: str) -> None:
    meeting.status, meeting.cancelled_at, meeting.cancel_reason = (
        SessionStatus.CANCELLED, now, reason)


def cancel(session: Session, *, meeting: MediationSession, actor: User, reason: str,
           now: dt.datetime | None = None) -> None:
    require_mediator(session, meeting.case, actor)
    reason = reason.strip()[:TEXT_MAX]
    if not reason:
        raise MissingInput("reason", N_("Please give a reason; the invitees are told."))
    _lock_scheduled(session, meeting)
    _close(meeting, now or utcnow(), reason)
    audit.append(session, kind="mediation", action="session.cancelled",
                 subject=f"case:{meeting.case.number}", actor_id=actor.id,
                 data={"session": meeting.id, "reason": reason})
    send_after_commit(session, tasks.notify_session, meeting.id, notices.CANCELLED)


def reschedule(session: Session, *, meeting: MediationSession, actor: User,
               starts_at: dt.datetime | None, duration: int | None, mode: str,
               location: str = "", participant_ids: Collection[int] = (),
               in_person_ids: Collection[int] = (), recording_requested: bool = False,
               now: dt.datetime | None = None) -> MediationSession:
    """A new session replacing ``meeting`` (cancelled); open requests to move it are
    answered by it."""
    now = now or utcnow()
    require_mediator(session, meeting.case, actor)
    _lock_scheduled(session, meeting)
    plan = Plan(starts_at, duration, mode, location, participant_ids, in_person_ids,
                recording_requested)
    new = _create(session, case=meeting.case, actor=actor, plan=plan, now=now,
                  replaces=meeting)
    _close(meeting, now, "")
    for request in open_requests(session, meeting.id):
        request.status, request.answered_by_id, request.answered_at = (
            RequestStatus.ACCEPTED, actor.id, now)
    send_after_commit(session, tasks.notify_session, new.id, notices.RESCHEDULED)
    return new


def request_reschedule(session: Session, *, meeting: MediationSession, actor: User,
                       reason: str, proposed: str, now: dt.datetime | None = None
                       ) -> RescheduleRequest:
    """An invited party asks the mediator to move the session."""
    now = now or utcnow()
    invitee = invitee_of(meeting, actor.id)
    if invitee is None or invitee.role not in (InviteeRole.PARTY, InviteeRole.AGENT):
        raise NotAllowed(f"reschedule session {meeting.id}")
    if meeting.status is not SessionStatus.SCHEDULED or meeting.starts_at <= now:
        raise MissingInput("status", N_("This session can no longer be moved."))
    reason, proposed = reason.strip()[:TEXT_MAX], proposed.strip()[:TEXT_MAX]
    if not reason:
        raise MissingInput("reason", N_("Say why the session should be moved."))
    if not proposed:
        raise MissingInput("proposed", N_("Suggest one or more times that would suit you."))
    if any(r.requested_by_id == actor.id for r in open_requests(session, meeting.id)):
        raise MissingInput("reason", N_("You have already asked to move this session. Please "
                                        "wait for the mediator's answer."))
    request = RescheduleRequest(session_id=meeting.id, requested_by_id=actor.id, reason=reason,
                                proposed=proposed, created_at=now)
    session.add(request)
    session.flush()
    audit.append(session, kind="mediation", action="session.reschedule_requested",
                 subject=f"case:{meeting.case.number}", actor_id=actor.id,
                 data={"session": meeting.id, "request": request.id, "reason": reason,
                       "proposed": proposed})
    send_after_commit(session, tasks.notify_request, request.id, "asked")
    return request


def decline_request(session: Session, *, request: RescheduleRequest, actor: User, answer: str,
                    now: dt.datetime | None = None) -> None:
    require_mediator(session, request.meeting.case, actor)
    if request.status is not RequestStatus.OPEN:
        raise MissingInput("status", N_("This request has already been answered."))
    answer = answer.strip()[:TEXT_MAX]
    if not answer:
        raise MissingInput("answer", N_("Tell the party why the session stays as planned."))
    request.status, request.answer = RequestStatus.DECLINED, answer
    request.answered_by_id, request.answered_at = actor.id, now or utcnow()
    audit.append(session, kind="mediation", action="session.reschedule_declined",
                 subject=f"case:{request.meeting.case.number}", actor_id=actor.id,
                 data={"session": request.session_id, "request": request.id, "answer": answer})
    send_after_commit(session, tasks.notify_request, request.id, "declined")
