"""What the video room needs of a session: who may join, identity, consent, the mediator's
admissions, chat, caucus notes and recordings, and the data the minutes are made from.

The room itself (pages, WebSocket, media) lives elsewhere; it calls these in a transaction.
Caucus notes and caucus chat stay with the mediator and that side: the minutes' data
(portal.mediation.minutes) leaves them out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import codes
from portal.accounts.models import User
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.cases import respondent_accounts
from portal.cases.services import MissingInput, NotAllowed
from portal.db.types import utcnow
from portal.i18n import N_
from portal.mediation.models import (
    CHAT_MAX,
    Attendance,
    Audience,
    CaucusNote,
    ChatMessage,
    InviteeRole,
    MediationSession,
    SessionInvitee,
    SessionRecording,
    SessionStatus,
    Side,
)
from portal.mediation.notices import contact
from portal.mediation.tokens import token_hash

CODE_PURPOSE = "session_join"
PARTY_ROLES = (InviteeRole.PARTY, InviteeRole.AGENT)
OPEN = (SessionStatus.SCHEDULED, SessionStatus.LIVE)


class JoinRefused(Exception):
    """A join link that cannot be used; ``message`` is a msgid, ``status`` an HTTP code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def invitee_for_token(session: Session, token: str, *, meeting_id: int,
                      now: dt.datetime | None = None) -> SessionInvitee:
    """The invitee whose link this is, if it may still be used to join ``meeting_id``."""
    now = now or utcnow()
    invitee = session.execute(select(SessionInvitee).where(
        SessionInvitee.token_hash == token_hash(token))).scalar_one_or_none()
    if invitee is None or invitee.session_id != meeting_id:
        raise JoinRefused(404, N_("This link is not valid. Open the whole link from your "
                                  "invitation."))
    meeting = invitee.meeting
    if invitee.removed_at is not None:
        raise JoinRefused(403, N_("The mediator removed you from this session."))
    if meeting.status is SessionStatus.CANCELLED:
        raise JoinRefused(410, N_("This session was cancelled or moved to another time. Use "
                                  "the link in the latest invitation."))
    if meeting.status is SessionStatus.ENDED or (
            meeting.status is SessionStatus.SCHEDULED and now >= meeting.ends_at):
        raise JoinRefused(410, N_("This session is over, so the link no longer works."))
    return invitee


def _audit(session: Session, invitee: SessionInvitee, action: str, actor_id: int | None,
           **data: object) -> None:
    meeting = invitee.meeting
    audit.append(session, kind="mediation", action=action,
                 subject=f"case:{meeting.case.number}", actor_id=actor_id,
                 data={"session": meeting.id, "invitee": invitee.id, **data})


def _user_id(invitee: SessionInvitee) -> int | None:
    if invitee.participant is not None:
        return invitee.participant.user_id
    return invitee.user_id


def send_identity_code(session: Session, *, invitee: SessionInvitee, client: str) -> str:
    """Text a one-time code to the invitee's phone; returns the number, masked."""
    phone = contact(session, invitee).phone
    if not phone:
        raise MissingInput("code", N_("No mobile number is known for you. The mediator will "
                                      "check your identity in the session."))
    codes.send_code(session, phone=phone, purpose=CODE_PURPOSE, client=client)
    return f"{phone[:3]}****{phone[-4:]}"


def verify_identity(session: Session, *, invitee: SessionInvitee, code: str,
                    now: dt.datetime | None = None) -> None:
    """Identity is checked before every session: the code sent to the invitee's phone."""
    phone = contact(session, invitee).phone
    if not phone:
        raise MissingInput("code", N_("No mobile number is known for you. The mediator will "
                                      "check your identity in the session."))
    codes.check_code(session, phone=phone, purpose=CODE_PURPOSE, code=code)
    invitee.identity_verified_at = now or utcnow()
    _audit(session, invitee, "session.identity_verified", _user_id(invitee), how="sms_code")


def account_for(session: Session, *, invitee: SessionInvitee) -> User:
    """The account a party who confirmed the code is logged in with, as for the respondent's
    link: the party's own, else the party account with that phone, else a new one without
    a password. Call after ``verify_identity``."""
    participant = invitee.participant
    if participant is None:
        raise NotAllowed(f"staff invitee {invitee.id} logs in with a password")
    try:
        user = respondent_accounts.account_to_link(session, invitee.meeting.case, participant)
    except InvalidField:
        raise InvalidField("code", N_("This phone number belongs to another kind of account. "
                                      "Please log in, or ask the mediator for help.")) from None
    if user is None:
        user = respondent_accounts.new_account(session, participant)
    participant.user_id = user.id
    return user


def attest_identity(session: Session, *, invitee: SessionInvitee, actor: User,
                    now: dt.datetime | None = None) -> None:
    """The mediator saw the identity card of someone at the service centre (no phone)."""
    _require_host(invitee.meeting, actor)
    if invitee.attends is not Attendance.IN_PERSON:
        raise MissingInput("identity", N_("Only people attending in person can be checked by "
                                          "the mediator; others confirm with a code."))
    invitee.identity_verified_at = now or utcnow()
    _audit(session, invitee, "session.identity_verified", actor.id, how="in_person")


def record_consent(session: Session, *, invitee: SessionInvitee, consent: bool,
                   now: dt.datetime | None = None) -> None:
    if not invitee.meeting.recording_requested:
        raise MissingInput("consent", N_("The mediator has not asked to record this session."))
    invitee.recording_consent = consent
    _audit(session, invitee, "session.recording_consent", _user_id(invitee), consent=consent,
           at=(now or utcnow()).isoformat())


def all_parties_consented(meeting: MediationSession) -> bool:
    """True when recording was asked for and every party and agent still invited agreed."""
    people = [i for i in meeting.invitees if i.role in PARTY_ROLES and i.removed_at is None]
    return meeting.recording_requested and bool(people) and all(
        i.recording_consent is True for i in people)


def _require_host(meeting: MediationSession, actor: User) -> None:
    if actor.id != meeting.mediator_id:
        raise NotAllowed(f"host session {meeting.id}")
    if meeting.status not in OPEN:
        raise MissingInput("status", N_("This session is not open."))


def admit(session: Session, *, invitee: SessionInvitee, actor: User,
          now: dt.datetime | None = None) -> None:
    """The mediator lets a waiting invitee in; parties must have confirmed their identity."""
    _require_host(invitee.meeting, actor)
    if invitee.removed_at is not None:
        raise MissingInput("invitee", N_("This person was removed from the session."))
    if invitee.role is not InviteeRole.MEDIATOR and invitee.identity_verified_at is None:
        raise MissingInput("identity", N_("{name} has not confirmed their identity yet."),
                           name=invitee.name)
    invitee.admitted_at = now or utcnow()
    _audit(session, invitee, "session.admitted", actor.id)


def remove(session: Session, *, invitee: SessionInvitee, actor: User,
           now: dt.datetime | None = None) -> None:
    _require_host(invitee.meeting, actor)
    if invitee.role is InviteeRole.MEDIATOR:
        raise MissingInput("invitee", N_("The mediator cannot be removed."))
    now = now or utcnow()
    invitee.removed_at = now
    if invitee.joined_at is not None and invitee.left_at is None:
        invitee.left_at = now
    _audit(session, invitee, "session.removed", actor.id)


def start(session: Session, *, meeting: MediationSession, actor: User,
          now: dt.datetime | None = None) -> None:
    _require_host(meeting, actor)
    if meeting.status is SessionStatus.SCHEDULED:
        meeting.status, meeting.started_at = SessionStatus.LIVE, now or utcnow()
        audit.append(session, kind="mediation", action="session.started",
                     subject=f"case:{meeting.case.number}", actor_id=actor.id,
                     data={"session": meeting.id})


def end(session: Session, *, meeting: MediationSession, actor: User | None,
        now: dt.datetime | None = None) -> None:
    """Ended by the mediator, or (``actor`` None) by the room once everyone has left."""
    if actor is not None and actor.id != meeting.mediator_id:
        raise NotAllowed(f"end session {meeting.id}")
    if meeting.status is not SessionStatus.LIVE:
        raise MissingInput("status", N_("Only a session in progress can be ended."))
    now = now or utcnow()
    meeting.status, meeting.ended_at = SessionStatus.ENDED, now
    for invitee in meeting.invitees:
        if invitee.joined_at is not None and invitee.left_at is None:
            invitee.left_at = now
    audit.append(session, kind="mediation", action="session.ended",
                 subject=f"case:{meeting.case.number}",
                 actor_id=actor.id if actor else None, data={"session": meeting.id})


def mark_joined(session: Session, *, invitee: SessionInvitee,
                now: dt.datetime | None = None) -> None:
    """In the room; the first join is kept, a rejoin clears the time of leaving."""
    if invitee.removed_at is not None:
        raise NotAllowed(f"removed invitee {invitee.id}")
    if invitee.role is not InviteeRole.MEDIATOR and invitee.admitted_at is None:
        raise NotAllowed(f"invitee {invitee.id} not admitted")
    if invitee.meeting.status not in OPEN:
        raise MissingInput("status", N_("This session is not open."))
    now = now or utcnow()
    if invitee.joined_at is None:
        invitee.joined_at = now
    invitee.left_at = None
    _audit(session, invitee, "session.joined", _user_id(invitee), at=now.isoformat())


def mark_left(session: Session, *, invitee: SessionInvitee,
              now: dt.datetime | None = None) -> None:
    if invitee.joined_at is None:
        return
    now = now or utcnow()
    invitee.left_at = now
    _audit(session, invitee, "session.left", _user_id(invitee), at=now.isoformat())


def add_chat(session: Session, *, invitee: SessionInvitee, text: str,
             audience: Audience = Audience.ALL, now: dt.datetime | None = None) -> ChatMessage:
    """A chat message to everyone, or (caucus) to the mediator and one side."""
    text = text.strip()
    if not text:
        raise MissingInput("text", N_("Write a message first."))
    if len(text) > CHAT_MAX:
        raise MissingInput("text", N_("Keep a message under 2000 characters."))
    if invitee.removed_at is not None or invitee.meeting.status not in OPEN:
        raise NotAllowed(f"chat by invitee {invitee.id}")
    # The mediator may write to either caucus; a party only to everyone or to its own side.
    if not (invitee.role is InviteeRole.MEDIATOR or audience is Audience.ALL
            or audience.value == invitee.side.value):
        raise NotAllowed(f"caucus chat to {audience} by invitee {invitee.id}")
    message = ChatMessage(session_id=invitee.session_id, invitee_id=invitee.id, text=text,
                          audience=audience, created_at=now or utcnow())
    session.add(message)
    session.flush()
    return message


def visible_chat(session: Session, invitee: SessionInvitee) -> list[ChatMessage]:
    """The messages ``invitee`` may read: everyone's, and their own side's caucus."""
    query = select(ChatMessage).where(ChatMessage.session_id == invitee.session_id)
    if invitee.role is not InviteeRole.MEDIATOR:
        allowed = [Audience.ALL]
        if invitee.side is not Side.NONE:
            allowed.append(Audience(invitee.side.value))
        query = query.where(ChatMessage.audience.in_(allowed))
    return list(session.execute(query.order_by(ChatMessage.id)).scalars())


def add_caucus_note(session: Session, *, meeting: MediationSession, actor: User, side: Side,
                    text: str, now: dt.datetime | None = None) -> CaucusNote:
    if actor.id != meeting.mediator_id:
        raise NotAllowed(f"caucus note on session {meeting.id}")
    if side is Side.NONE:
        raise MissingInput("side", N_("Choose the side this caucus was with."))
    text = text.strip()
    if not text:
        raise MissingInput("text", N_("Write the note first."))
    note = CaucusNote(session_id=meeting.id, side=side, author_id=actor.id, text=text,
                      created_at=now or utcnow())
    session.add(note)
    session.flush()
    audit.append(session, kind="mediation", action="session.caucus_note",
                 subject=f"case:{meeting.case.number}", actor_id=actor.id,
                 data={"session": meeting.id, "note": note.id, "side": side.value})
    return note


def caucus_notes(session: Session, *, meeting: MediationSession,
                 actor: User) -> list[CaucusNote]:
    """Only for the session's mediator."""
    if actor.id != meeting.mediator_id:
        raise NotAllowed(f"caucus notes of session {meeting.id}")
    return list(session.execute(select(CaucusNote).where(
        CaucusNote.session_id == meeting.id).order_by(CaucusNote.id)).scalars())


def add_recording(session: Session, *, invitee: SessionInvitee, storage_name: str,
                  sha256: str, size: int, started_at: dt.datetime,
                  ended_at: dt.datetime | None) -> SessionRecording:
    """Register a stored recording; refused unless every party consented."""
    if not all_parties_consented(invitee.meeting):
        raise NotAllowed(f"recording without consent in session {invitee.session_id}")
    row = SessionRecording(session_id=invitee.session_id, invitee_id=invitee.id,
                           storage_name=storage_name, sha256=sha256, size=size,
                           started_at=started_at, ended_at=ended_at)
    session.add(row)
    session.flush()
    _audit(session, invitee, "session.recorded", None, recording=row.id,
           storage_name=storage_name, sha256=sha256, size=size)
    return row
