"""The session as an iCalendar file (RFC 5545), one per invitee: it carries their join link.

A rescheduled session keeps the UID of the first one in its chain with a higher SEQUENCE,
so calendar programs move the event instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event

from portal.config import get_settings
from portal.i18n import N_, gettext_, translate
from portal.mediation.labels import MODE_LABELS
from portal.mediation.models import (
    Attendance,
    MediationSession,
    SessionInvitee,
    SessionMode,
    SessionStatus,
)
from portal.mediation.tokens import join_url
from portal.notifications.channels import Attachment

PRODID = "-//Fengqiao ODR//Mediation sessions//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
FILENAME = "mediation-session.ics"
SUMMARY = N_("Mediation session, case {number}")
DESCRIPTION_ONLINE = N_("Mediation session in case {number}, online by video. Join with your "
                        "personal link: {link}")
DESCRIPTION_IN_PERSON = N_("Mediation session in case {number} at {location}.")
ALARM = N_("The mediation session starts in 15 minutes.")


def uid(root_id: int) -> str:
    host = urlsplit(get_settings().base_url).hostname or "fengqiao-odr"
    return f"mediation-session-{root_id}@{host}"


def location_of(meeting: MediationSession, invitee: SessionInvitee) -> str:
    if meeting.mode is SessionMode.IN_PERSON and invitee.attends is Attendance.IN_PERSON:
        return meeting.location
    return gettext_(MODE_LABELS[SessionMode.ONLINE])


def calendar_for(meeting: MediationSession, invitee: SessionInvitee, *, root_id: int,
                 sequence: int, case_number: str, now: dt.datetime) -> bytes:
    """The .ics for ``invitee``, in the current locale; ``root_id`` and ``sequence`` place
    the session in its reschedule chain."""
    link = join_url(meeting, invitee)
    if meeting.mode is SessionMode.IN_PERSON and invitee.attends is Attendance.IN_PERSON:
        description = translate(DESCRIPTION_IN_PERSON, number=case_number,
                                location=meeting.location)
    else:
        description = translate(DESCRIPTION_ONLINE, number=case_number, link=link)
    cancelled = meeting.status is SessionStatus.CANCELLED
    event = Event()
    event.add("uid", uid(root_id))
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(dt.UTC))
    event.add("dtend", meeting.ends_at.astimezone(dt.UTC))
    event.add("summary", translate(SUMMARY, number=case_number))
    event.add("description", description)
    event.add("location", location_of(meeting, invitee))
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", gettext_(ALARM))
        alarm.add("trigger", dt.timedelta(minutes=-15))
        event.add_component(alarm)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def attachment(data: bytes) -> Attachment:
    return Attachment(FILENAME, CONTENT_TYPE, data)
