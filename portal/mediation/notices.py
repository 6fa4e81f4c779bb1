"""Telling invitees about a session: in the portal, by SMS, and by e-mail with the .ics.

Each invitee hears of each occasion once (portal.notifications.delivery), in their own
language, with their own join link; ``send`` may run again after a failure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_datetime
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.i18n import N_, current_locale, translate
from portal.mediation import ics
from portal.mediation.models import (
    Attendance,
    MediationSession,
    RescheduleRequest,
    SessionInvitee,
    SessionMode,
)
from portal.mediation.tokens import join_url
from portal.notifications import delivery
from portal.notifications import services as notifications

SCHEDULED, RESCHEDULED, CANCELLED = "scheduled", "rescheduled", "cancelled"
REMIND_DAY, REMIND_SOON = "remind_day", "remind_soon"
KINDS = (SCHEDULED, RESCHEDULED, CANCELLED, REMIND_DAY, REMIND_SOON)
WITH_CALENDAR = frozenset({SCHEDULED, RESCHEDULED, CANCELLED})

TEXTS = {
    SCHEDULED: N_("Fengqiao ODR: a mediation session in case {number} is scheduled for "
                  "{when} ({minutes} minutes), {where}."),
    RESCHEDULED: N_("Fengqiao ODR: the mediation session in case {number} was moved to "
                    "{when} ({minutes} minutes), {where}."),
    CANCELLED: N_("Fengqiao ODR: the mediation session in case {number} on {when} was "
                  "cancelled. Reason: {reason}"),
    REMIND_DAY: N_("Fengqiao ODR: reminder: your mediation session in case {number} is "
                   "tomorrow, {when}, {where}."),
    REMIND_SOON: N_("Fengqiao ODR: your mediation session in case {number} starts in 15 "
                    "minutes ({when}), {where}."),
}
WHERE_ONLINE = N_("online by video; join with your personal link: {link}")
WHERE_IN_PERSON = N_("at {location}")
SUBJECT = N_("Fengqiao ODR: mediation session in case {number}")
# In-portal notices take {number} only; the case page shows the rest.
NOTICES = {
    SCHEDULED: N_("A mediation session was scheduled in case {number}. The case page shows "
                  "the time and your join link."),
    RESCHEDULED: N_("A mediation session in case {number} was moved to another time. The "
                    "case page shows the new time."),
    CANCELLED: N_("A mediation session in case {number} was cancelled."),
    REMIND_DAY: N_("Reminder: you have a mediation session in case {number} tomorrow."),
    REMIND_SOON: N_("Your mediation session in case {number} starts in 15 minutes."),
}
REQUEST_NOTICE = N_("A party of case {number} asks to move a mediation session. Please "
                    "answer the request on the case page.")
DECLINED_NOTICE = N_("The mediator declined your request to move the mediation session in "
                     "case {number}.")
DECLINED_TEXT = N_("Fengqiao ODR: the mediator declined your request to move the mediation "
                   "session in case {number} on {when}. Answer: {answer}")


@dataclass(frozen=True)
class Contact:
    user_id: int | None
    phone: str
    email: str
    locale: str | None


def contact(session: Session, invitee: SessionInvitee) -> Contact:
    participant = invitee.participant
    if participant is not None:
        user = session.get(User, participant.user_id) if participant.user_id else None
        return Contact(participant.user_id, participant.phone or (user.phone if user else ""),
                       participant.email, user.locale if user else None)
    user = invitee.user
    if user is None:
        return Contact(None, "", "", None)
    return Contact(user.id, user.phone, "", user.locale)


def when(moment: dt.datetime) -> str:
    """A time as people in the portal's time zone read it, in the current language."""
    return format_datetime(moment, "medium", tzinfo=TIME_ZONE, locale=current_locale.get())


def lineage(session: Session, meeting: MediationSession) -> tuple[int, int]:
    """The first session of ``meeting``'s reschedule chain, and how many moves followed."""
    root, moves = meeting, 0
    while root.replaces_id is not None:
        earlier = session.get(MediationSession, root.replaces_id)
        if earlier is None:
            break
        root, moves = earlier, moves + 1
    return root.id, moves


def calendar(session: Session, meeting: MediationSession, invitee: SessionInvitee,
             now: dt.datetime | None = None) -> bytes:
    root_id, sequence = lineage(session, meeting)
    return ics.calendar_for(meeting, invitee, root_id=root_id, sequence=sequence,
                            case_number=meeting.case.number, now=now or utcnow())


def _text(meeting: MediationSession, invitee: SessionInvitee, kind: str) -> str:
    if meeting.mode is SessionMode.IN_PERSON and invitee.attends is Attendance.IN_PERSON:
        where = translate(WHERE_IN_PERSON, location=meeting.location)
    else:
        where = translate(WHERE_ONLINE, link=join_url(meeting, invitee))
    return translate(TEXTS[kind], number=meeting.case.number, when=when(meeting.starts_at),
                     minutes=str(meeting.duration_minutes), where=where,
                     reason=meeting.cancel_reason)


def send(session: Session, meeting: MediationSession, kind: str,
         now: dt.datetime | None = None) -> int:
    """Tell every invitee (not removed) about ``kind``; returns how many were told now."""
    occasion = f"session:{meeting.id}:{kind}"
    told = 0
    for invitee in meeting.invitees:
        if invitee.removed_at is not None:
            continue
        reach = contact(session, invitee)
        sent = False
        if reach.user_id is not None:
            sent |= bool(notifications.notify_users(
                session, occasion=occasion, user_ids=[reach.user_id], case=meeting.case,
                message=NOTICES[kind]))
        with delivery.in_locale(reach.locale):
            text = _text(meeting, invitee, kind)
            subject = translate(SUBJECT, number=meeting.case.number)
            files = ([ics.attachment(calendar(session, meeting, invitee, now))]
                     if kind in WITH_CALENDAR and reach.email else [])
        sent |= delivery.send_sms(session, occasion=occasion, phone=reach.phone, text=text)
        sent |= delivery.send_email(session, occasion=occasion, address=reach.email,
                                    subject=subject, text=text, attachments=files)
        told += sent
    return told


def request_made(session: Session, request: RescheduleRequest) -> None:
    meeting = request.meeting
    notifications.notify_users(session, occasion=f"reschedule:{request.id}:asked",
                               user_ids=[meeting.mediator_id], case=meeting.case,
                               message=REQUEST_NOTICE)


def request_declined(session: Session, request: RescheduleRequest) -> None:
    meeting, user = request.meeting, request.requested_by
    occasion = f"reschedule:{request.id}:declined"
    notifications.notify_users(session, occasion=occasion, user_ids=[user.id],
                               case=meeting.case, message=DECLINED_NOTICE)
    with delivery.in_locale(user.locale):
        text = translate(DECLINED_TEXT, number=meeting.case.number,
                         when=when(meeting.starts_at), answer=request.answer)
    delivery.send_sms(session, occasion=occasion, phone=user.phone, text=text)
