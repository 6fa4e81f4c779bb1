"""What the minutes of a session record: who was invited and came, when, and the chat.

Plain data for the documents package. Caucus notes and caucus chat are left out: what a
party says to the mediator alone is never written into the minutes nor sent to court.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mediation.models import (
    Audience,
    ChatMessage,
    MediationSession,
    SessionMode,
    SessionRecording,
)
from portal.mediation.room import all_parties_consented


@dataclass(frozen=True)
class ParticipantData:
    name: str
    role: str
    side: str
    attends: str
    identity_verified_at: dt.datetime | None
    recording_consent: bool | None
    admitted_at: dt.datetime | None
    joined_at: dt.datetime | None
    left_at: dt.datetime | None
    removed_at: dt.datetime | None


@dataclass(frozen=True)
class ChatData:
    at: dt.datetime
    name: str
    role: str
    text: str


@dataclass(frozen=True)
class RecordingData:
    name: str
    storage_name: str
    sha256: str
    size: int
    started_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class SessionData:
    """What the minutes record of a session; no caucus notes or caucus chat."""

    session_id: int
    case_id: int
    case_number: str
    mediator: str
    mode: str
    location: str
    status: str
    planned_start: dt.datetime
    planned_end: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    recording_requested: bool
    recorded_with_consent: bool
    participants: list[ParticipantData]
    chat: list[ChatData]
    recordings: list[RecordingData]


def session_data(session: Session, meeting_id: int) -> SessionData:
    meeting = session.get(MediationSession, meeting_id)
    if meeting is None:
        raise LookupError(f"no session {meeting_id}")
    names = {i.id: (i.name, i.role.value) for i in meeting.invitees}
    chat = session.execute(select(ChatMessage).where(
        ChatMessage.session_id == meeting_id, ChatMessage.audience == Audience.ALL)
        .order_by(ChatMessage.id)).scalars()
    recordings = session.execute(select(SessionRecording).where(
        SessionRecording.session_id == meeting_id).order_by(SessionRecording.id)).scalars()
    return SessionData(
        session_id=meeting.id, case_id=meeting.case_id, case_number=meeting.case.number,
        mediator=meeting.mediator.name, mode=meeting.mode.value,
        location=meeting.location if meeting.mode is SessionMode.IN_PERSON else "",
        status=meeting.status.value, planned_start=meeting.starts_at,
        planned_end=meeting.ends_at, started_at=meeting.started_at,
        ended_at=meeting.ended_at, recording_requested=meeting.recording_requested,
        recorded_with_consent=all_parties_consented(meeting),
        participants=[ParticipantData(
            i.name, i.role.value, i.side.value, i.attends.value, i.identity_verified_at,
            i.recording_consent, i.admitted_at, i.joined_at, i.left_at, i.removed_at)
            for i in meeting.invitees],
        chat=[ChatData(m.created_at, *names[m.invitee_id], m.text) for m in chat],
        recordings=[RecordingData(names[r.invitee_id][0], r.storage_name, r.sha256, r.size,
                                  r.started_at, r.ended_at) for r in recordings])
