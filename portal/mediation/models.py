from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.cases.models import Case, CaseParticipant
from portal.cases.states import Status
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum

MIN_MINUTES, MAX_MINUTES = 15, 480
CHAT_MAX = 2000
# Case statuses in which mediation happens, so sessions can be scheduled and held.
MEDIATING = frozenset({Status.MEDIATOR_ASSIGNED, Status.IN_MEDIATION, Status.AGREEMENT_DRAFTED})


class SessionMode(StrEnum):
    ONLINE = "online"
    # At a service centre, for a party without a device; the centre's address in ``location``.
    IN_PERSON = "in_person"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class InviteeRole(StrEnum):
    PARTY = "party"
    AGENT = "agent"
    MEDIATOR = "mediator"
    OBSERVER = "observer"


class Side(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    NONE = "none"


class Attendance(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"


class RequestStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Audience(StrEnum):
    ALL = "all"
    # Caucus: the mediator and one side only.
    APPLICANT = "applicant"
    RESPONDENT = "respondent"


class MediationSession(Base):
    __tablename__ = "mediation_sessions"
    __table_args__ = (
        Index("ix_mediation_sessions_mediator_start", "mediator_id", "starts_at"),
        Index("ix_mediation_sessions_status_start", "status", "starts_at"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int]
    # starts_at + duration, stored so that overlaps and "upcoming" are plain comparisons.
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    mode: Mapped[SessionMode] = mapped_column(str_enum(SessionMode))
    location: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus),
                                                  default=SessionStatus.SCHEDULED)
    recording_requested: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The session this one was rescheduled from (that one is cancelled).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_sessions.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship()
    mediator: Mapped[User] = relationship()
    invitees: Mapped[list[SessionInvitee]] = relationship(
        back_populates="meeting", order_by="SessionInvitee.id", cascade="all, delete-orphan")


class SessionInvitee(Base):
    """A person invited to a session: a party (or agent) of the case, or a staff member."""

    __tablename__ = "session_invitees"
    # Named: the naming convention would give both the same name (PostgreSQL refuses that).
    __table_args__ = (
        UniqueConstraint("session_id", "participant_id",
                         name="uq_session_invitees_session_participant"),
        UniqueConstraint("session_id", "user_id", name="uq_session_invitees_session_user"))

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    # Staff (the mediator, observers); parties are reached through their participant row.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[InviteeRole] = mapped_column(str_enum(InviteeRole))
    side: Mapped[Side] = mapped_column(str_enum(Side), default=Side.NONE)
    attends: Mapped[Attendance] = mapped_column(str_enum(Attendance), default=Attendance.ONLINE)
    # SHA-256 of the join link's token; the token is derived from the secret key and the salt
    # (portal.mediation.tokens), so notices and the .ics can repeat the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    recording_consent: Mapped[bool | None] = mapped_column(default=None)
    admitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[MediationSession] = relationship(back_populates="invitees")
    participant: Mapped[CaseParticipant | None] = relationship()
    user: Mapped[User | None] = relationship()


class RescheduleRequest(Base):
    __tablename__ = "session_reschedule_requests"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    # Free text: the times that would suit the party.
    proposed: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus),
                                                  default=RequestStatus.OPEN)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]

    meeting: Mapped[MediationSession] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])


class ChatMessage(Base):
    __tablename__ = "session_chat_messages"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("session_invitees.id"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[Audience] = mapped_column(str_enum(Audience), default=Audience.ALL)
    created_at: Mapped[created_at]

    invitee: Mapped[SessionInvitee] = relationship()


class CaucusNote(Base):
    """The mediator's private note on a caucus: never shown to the other side nor exported."""

    __tablename__ = "session_caucus_notes"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    side: Mapped[Side] = mapped_column(str_enum(Side))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]


class SessionRecording(Base):
    """One participant's recorded audio and video, muxed to WebM in the case's storage."""

    __tablename__ = "session_recordings"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("session_invitees.id"))
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]

    invitee: Mapped[SessionInvitee] = relationship()
