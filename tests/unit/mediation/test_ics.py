"""The .ics file, parsed back with icalendar as a calendar program would read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from icalendar import Calendar
from sqlalchemy.orm import Session

from portal.i18n import current_locale
from portal.mediation import notices, services, tokens
from portal.mediation.models import MediationSession, SessionInvitee
from tests.mediation_world import World, next_hour


def _event(db: Session, meeting: MediationSession, invitee: SessionInvitee) -> Any:
    calendar = Calendar.from_ical(notices.calendar(db, meeting, invitee))
    assert calendar.get("method") == "PUBLISH" and "Fengqiao" in str(calendar.get("prodid"))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def _respondent(meeting: MediationSession) -> SessionInvitee:
    return next(i for i in meeting.invitees if i.name == "李四")


def test_an_online_session(db: Session, world: World, make_session: Any) -> None:
    start = next_hour()
    meeting = make_session(starts_at=start, duration=90)
    token = current_locale.set("en")
    try:
        event = _event(db, meeting, _respondent(meeting))
    finally:
        current_locale.reset(token)
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + dt.timedelta(minutes=90)
    assert str(event.get("summary")) == f"Mediation session, case {world.case.number}"
    assert str(event.get("location")) == "Online (video)"
    link = tokens.join_url(meeting, _respondent(meeting))
    assert str(event.get("url")) == link and link in str(event.get("description"))
    assert str(event.get("status")) == "CONFIRMED"
    assert event.walk("VALARM")[0].decoded("trigger") == dt.timedelta(minutes=-15)


def test_in_the_readers_language(db: Session, world: World, make_session: Any) -> None:
    meeting = make_session()
    token = current_locale.set("zh_CN")
    try:
        summary = str(_event(db, meeting, _respondent(meeting)).get("summary"))
    finally:
        current_locale.reset(token)
    assert world.case.number in summary


def test_at_a_service_centre(db: Session, world: World, make_session: Any) -> None:
    meeting = make_session(mode="in_person", location="枫桥镇调解中心 2 楼",
                           in_person_ids=[world.respondent_party.id])
    assert str(_event(db, meeting, _respondent(meeting)).get("location")) == "枫桥镇调解中心 2 楼"
    applicant = next(i for i in meeting.invitees if i.name == "张三")
    assert "枫桥镇" not in str(_event(db, meeting, applicant).get("location"))


def test_a_rescheduled_session_updates_the_same_event(db: Session, world: World,
                                                      make_session: Any) -> None:
    first = make_session()
    second = services.reschedule(db, meeting=first, actor=world.mediator,
                                 starts_at=next_hour(days=4), duration=60, mode="online",
                                 participant_ids=world.party_ids)
    db.commit()
    old, new = _event(db, first, _respondent(first)), _event(db, second, _respondent(second))
    assert str(old.get("uid")) == str(new.get("uid"))
    assert (old.get("sequence"), new.get("sequence")) == (0, 1)
    assert str(old.get("status")) == "CANCELLED" and not old.walk("VALARM")
    assert new.decoded("dtstart") == second.starts_at
