"""Minutes (调解笔录) of a mediation session: the mediator's text, then everyone's signature.

The mediator writes free-text sections while or after the session; "finish" freezes them
with the session's own record (participants, times, the chat everyone saw: never caucus
notes) into a PDF that every participant who attended, then the mediator, signs in turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import templates
from documents.data import MinutesData, MinutesEntry, Participant, SignatureSlot
from portal.accounts.models import User
from portal.agreements import signing
from portal.agreements.models import (
    DocumentKind,
    DocumentStatus,
    SessionMinutes,
    SignableDocument,
    SignerRole,
)
from portal.audit import services as audit
from portal.cases import services as cases
from portal.cases.models import CaseParticipant
from portal.deadlines.calendar import TIME_ZONE
from portal.i18n import N_
from portal.mediation.minutes import SessionData, session_data
from portal.mediation.models import InviteeRole, MediationSession, SessionMode, SessionStatus
from portal.storage import Storage

MAX_SECTION = 10000
_SIDE = {"applicant": "申请人", "respondent": "被申请人"}
_SIGNING = (InviteeRole.PARTY, InviteeRole.AGENT)


@dataclass(frozen=True)
class Sections:
    statements: str = ""
    process: str = ""
    outcome: str = ""
    recorder: str = ""
    include_chat: bool = True


def minutes_of(session: Session, meeting: MediationSession) -> SessionMinutes | None:
    return session.execute(select(SessionMinutes).where(
        SessionMinutes.session_id == meeting.id)).scalar_one_or_none()


def document_of(session: Session, minutes: SessionMinutes) -> SignableDocument | None:
    """The minutes' signing document, unless it was abandoned (reopened)."""
    return session.execute(select(SignableDocument).where(
        SignableDocument.minutes_id == minutes.id,
        SignableDocument.status != DocumentStatus.VOID)
        .order_by(SignableDocument.id.desc()).limit(1)).scalar_one_or_none()


def _require_host(meeting: MediationSession, actor: User) -> None:
    if actor.id != meeting.mediator_id:
        raise cases.NotAllowed(f"minutes of session {meeting.id}")


def save(session: Session, *, meeting: MediationSession, actor: User, sections: Sections,
         now: dt.datetime) -> SessionMinutes:
    _require_host(meeting, actor)
    if meeting.status is SessionStatus.CANCELLED:
        raise cases.MissingInput("statements", N_("This session was cancelled; it has no "
                                                  "minutes."))
    for name in ("statements", "process", "outcome"):
        if len(getattr(sections, name)) > MAX_SECTION:
            raise cases.MissingInput(name, N_("Keep each part under {n} characters."),
                                     n=str(MAX_SECTION))
    row = minutes_of(session, meeting)
    if row is not None and row.finished_at is not None:
        raise cases.MissingInput("statements", N_("The minutes are finished and being signed. "
                                                  "Reopen them to change the text."))
    if row is None:
        row = SessionMinutes(session_id=meeting.id, case_id=meeting.case_id,
                             updated_by_id=actor.id, updated_at=now)
        session.add(row)
    row.statements, row.process = sections.statements.strip(), sections.process.strip()
    row.outcome, row.recorder = sections.outcome.strip(), sections.recorder.strip()[:100]
    row.include_chat, row.updated_by_id, row.updated_at = sections.include_chat, actor.id, now
    session.flush()
    return row


def _attended(role: str, joined_at: dt.datetime | None, removed_at: dt.datetime | None,
              anyone_joined: bool) -> bool:
    """Came to the session; when nobody joined online (held at a centre), all invitees."""
    return removed_at is None and (joined_at is not None or not anyone_joined) and bool(role)


def _label(role: str, side: str) -> str:
    if role == InviteeRole.PARTY:
        return _SIDE.get(side, "当事人")
    if role == InviteeRole.AGENT:
        return f"{_SIDE.get(side, '')}代理人"
    return "调解员" if role == InviteeRole.MEDIATOR else "列席人员"


def _session_number(session: Session, meeting: MediationSession) -> int:
    return int(session.execute(select(func.count(MediationSession.id)).where(
        MediationSession.case_id == meeting.case_id,
        MediationSession.status != SessionStatus.CANCELLED,
        MediationSession.starts_at <= meeting.starts_at)).scalar_one())


def required_signers(meeting: MediationSession) -> list[signing.Required]:
    """The parties and agents who attended, in invitation order, then the mediator."""
    anyone = any(i.joined_at is not None for i in meeting.invitees)
    required: list[signing.Required] = []
    for invitee in meeting.invitees:
        if invitee.role in _SIGNING and invitee.participant_id is not None and _attended(
                invitee.role, invitee.joined_at, invitee.removed_at, anyone):
            required.append(signing.Required(
                f"party-{len(required) + 1}", SignerRole.PARTY,
                _label(invitee.role, invitee.side), invitee.name,
                participant_id=invitee.participant_id))
    required.append(signing.Required("mediator", SignerRole.MEDIATOR, "调解员",
                                     meeting.mediator.name, user_id=meeting.mediator_id))
    return required


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(TIME_ZONE) if moment is not None else None


def minutes_data(session: Session, meeting: MediationSession, row: SessionMinutes,
                 required: list[signing.Required]) -> MinutesData:
    data: SessionData = session_data(session, meeting.id)
    anyone = any(p.joined_at is not None for p in data.participants)
    participants = [Participant(p.name, _label(p.role, p.side)) for p in data.participants
                    if _attended(p.role, p.joined_at, p.removed_at, anyone)
                    or p.role == InviteeRole.MEDIATOR]
    entries = [MinutesEntry(title, text) for title, text in
               (("当事人陈述", row.statements), ("调解经过", row.process)) if text]
    if row.include_chat:
        entries += [MinutesEntry(f"{c.name}（{_label(c.role, '')}）" if c.role != "party"
                                 else c.name, c.text, _local(c.at)) for c in data.chat]
    started = data.started_at or data.planned_start
    place = "线上视频调解" if meeting.mode is SessionMode.ONLINE else (data.location or "调解室")
    return MinutesData(
        case_number=data.case_number,
        body_name=meeting.case.body.name if meeting.case.body else "",
        session_number=_session_number(session, meeting), started_at=_local(started) or started,
        ended_at=_local(data.ended_at), mediator=data.mediator, participants=participants,
        entries=entries, place=place, recorder=row.recorder, summary=row.outcome,
        signatures=[SignatureSlot(r.field_name, r.name, r.label) for r in required])


def finish(session: Session, *, meeting: MediationSession, actor: User, storage: Storage,
           now: dt.datetime) -> SignableDocument:
    """Freeze the minutes into a PDF and open it for the participants' signatures."""
    _require_host(meeting, actor)
    row = minutes_of(session, meeting)
    if row is None or not (row.statements or row.process or row.outcome):
        raise cases.MissingInput("statements", N_("Write the minutes before finishing them."))
    if row.finished_at is not None:
        raise cases.MissingInput("statements", N_("These minutes are already finished."))
    if meeting.status is SessionStatus.CANCELLED or (
            meeting.status is SessionStatus.SCHEDULED and now < meeting.starts_at):
        raise cases.MissingInput("statements", N_("Minutes can be finished once the session "
                                                  "has taken place."))
    required = required_signers(meeting)
    if len(required) < 2:
        raise cases.MissingInput("statements", N_("No party attended this session, so there "
                                                  "is no one to sign the minutes."))
    no_phone = [r.name for r in required if r.participant_id is not None
                and not _phone(session, r.participant_id)]
    if no_phone:
        raise cases.MissingInput("statements", N_("No mobile number is known for {names}, so "
                                                  "they cannot receive the code to sign."),
                                 names="、".join(no_phone))
    data = minutes_data(session, meeting, row, required)
    document = signing.create_document(
        session, case=meeting.case, kind=DocumentKind.MINUTES,
        title=f"调解笔录（第{data.session_number}次）", pdf=templates.minutes(data),
        required=required, actor=actor, storage=storage, minutes_id=row.id)
    row.finished_at = now
    audit.append(session, kind="mediation", action="minutes.finished",
                 subject=f"case:{meeting.case.number}", actor_id=actor.id,
                 data={"session": meeting.id, "document": document.id})
    return document


def _phone(session: Session, participant_id: int) -> str:
    participant = session.get(CaseParticipant, participant_id)
    return participant.phone if participant is not None else ""


def reopen(session: Session, *, meeting: MediationSession, actor: User) -> SessionMinutes:
    """Back to editing; signatures given to the finished text become void."""
    _require_host(meeting, actor)
    row = minutes_of(session, meeting)
    document = document_of(session, row) if row is not None else None
    if row is None or row.finished_at is None:
        raise cases.MissingInput("statements", N_("These minutes are not finished."))
    if document is not None and document.status is DocumentStatus.COMPLETE:
        raise cases.MissingInput("statements", N_("Everyone has signed these minutes; they "
                                                  "can no longer be changed."))
    if document is not None:
        signing.void(session, document=document, reason="minutes reopened", actor_id=actor.id)
    row.finished_at = None
    session.flush()
    return row
