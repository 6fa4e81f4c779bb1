"""Who may enter a session's video room, checked for the room page, each room pass and each
WebSocket: an invitee not removed, of an open session, who attends online, has confirmed
their identity (parties) and answered the recording question when it was asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

import rtc
from portal.db.types import utcnow
from portal.i18n import N_
from portal.mediation.models import (
    Attendance,
    InviteeRole,
    MediationSession,
    SessionInvitee,
    SessionStatus,
)
from portal.mediation.room import PARTY_ROLES
from portal.mediation.tokens import join_path

RTC_ROLES = {InviteeRole.MEDIATOR: rtc.Role.MEDIATOR, InviteeRole.PARTY: rtc.Role.PARTY,
             InviteeRole.AGENT: rtc.Role.PARTY, InviteeRole.OBSERVER: rtc.Role.OBSERVER}


def room_id(meeting_id: int) -> str:
    return f"session-{meeting_id}"


def meeting_of_room(room: str) -> int | None:
    prefix, _, number = room.partition("-")
    return int(number) if prefix == "session" and number.isdigit() else None


class Refusal(Exception):
    """``message`` is a msgid; ``status`` the HTTP status; ``join`` the pre-join page to go
    back to when the invitee has a step left there."""

    def __init__(self, status: int, message: str, join: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.join = join


@dataclass(frozen=True)
class Grant:
    meeting_id: int
    invitee_id: int
    name: str
    role: InviteeRole
    side: str

    @property
    def room(self) -> str:
        return room_id(self.meeting_id)

    @property
    def is_mediator(self) -> bool:
        return self.role is InviteeRole.MEDIATOR

    def ticket(self) -> rtc.Ticket:
        rtc_role = RTC_ROLES[self.role]
        return rtc.Ticket(self.room, str(self.invitee_id), rtc_role,
                          side=self.side if rtc_role is rtc.Role.PARTY else None,
                          display_name=self.name)


def invitee_of_user(meeting: MediationSession, user_id: int) -> SessionInvitee | None:
    """Like queries.invitee_of, but a removed invitee is found too (to say so)."""
    return next((i for i in meeting.invitees if i.user_id == user_id or (
        i.participant is not None and i.participant.user_id == user_id)), None)


def grant(session: Session, *, meeting_id: int, user_id: int,
          now: dt.datetime | None = None) -> Grant:
    """The seat ``user_id`` may take in the room of ``meeting_id``, or Refusal."""
    meeting = session.get(MediationSession, meeting_id)
    invitee = invitee_of_user(meeting, user_id) if meeting is not None else None
    if meeting is None or invitee is None:
        raise Refusal(404, N_("You are not invited to this session."))
    if invitee.removed_at is not None:
        raise Refusal(403, N_("The mediator removed you from this session."))
    if meeting.status not in (SessionStatus.SCHEDULED, SessionStatus.LIVE) or (
            meeting.status is SessionStatus.SCHEDULED and (now or utcnow()) >= meeting.ends_at):
        raise Refusal(410, N_("This session is over or was cancelled."))
    if invitee.role is not InviteeRole.MEDIATOR and invitee.attends is Attendance.IN_PERSON:
        raise Refusal(409, N_("You attend this session in person, at the service centre."))
    back = join_path(meeting, invitee)
    if invitee.role in PARTY_ROLES:
        if invitee.identity_verified_at is None:
            raise Refusal(409, N_("Please confirm your identity first."), back)
        if meeting.recording_requested and invitee.recording_consent is None:
            raise Refusal(409, N_("Please answer whether you agree to the recording first."),
                          back)
    return Grant(meeting.id, invitee.id, invitee.name, invitee.role, invitee.side.value)
