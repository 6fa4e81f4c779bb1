"""Mediation sessions through the pages: schedule, see, download, ask to move, answer."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mediation import services
from portal.mediation.models import MediationSession, RescheduleRequest, SessionStatus
from portal.web.views.sessions import local_input
from tests.functional.conftest import Browser
from tests.mediation_world import World, mediation_world, next_hour


def _browser(make_browser: Any, phone: str) -> Browser:
    browser: Browser = make_browser()
    browser.login(phone)
    browser.get("/lang/en")
    return browser


def _sessions(db: Session) -> list[MediationSession]:
    db.expire_all()
    return list(db.execute(select(MediationSession).order_by(MediationSession.id)).scalars())


def _plan(world: World, start: dt.datetime, **overrides: Any) -> dict[str, Any]:
    return {"form": "schedule", "starts_at": local_input(start), "duration": "90",
            "mode": "online", "location": "", "invitee": [str(i) for i in world.party_ids],
            **overrides}


def test_mediator_schedules_parties_see_it_ask_to_move_and_get_answers(
        db: Session, make_browser: Any) -> None:
    world = mediation_world(db)
    number = world.case.number
    mediator = _browser(make_browser, world.mediator.phone)
    page = mediator.get(f"/cases/{number}")
    assert "Mediation sessions" in page.text and "Schedule a session" in page.text

    # A refused form comes back with the message next to the field and the choices kept.
    start = next_hour(days=2)
    refused = mediator.submit(f"/cases/{number}/sessions", _plan(
        world, start, mode="in_person", invitee=[str(world.applicant_party.id)]))
    assert refused.status_code == 400
    assert "Enter the address of the service centre" in refused.text
    assert 'value="in_person" id="schedule-mode-in_person" checked' in refused.text
    assert f'id="schedule-invitee-{world.respondent_party.id}" checked' not in refused.text
    one_side = mediator.submit(f"/cases/{number}/sessions", _plan(
        world, start, invitee=[str(world.applicant_party.id)]))
    assert one_side.status_code == 400 and "from each side" in one_side.text

    done = mediator.submit(f"/cases/{number}/sessions", _plan(world, start))
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{number}#sessions"
    [meeting] = _sessions(db)
    assert meeting.starts_at == start and meeting.duration_minutes == 90

    # The applicant sees it with a personal join link and downloads the calendar file.
    applicant = _browser(make_browser, world.applicant.phone)
    case_page = html.unescape(applicant.get(f"/cases/{number}").text)
    link = re.search(rf"/sessions/{meeting.id}/join\?t=[\w-]+", case_page)
    assert link is not None and "Join the session" in case_page
    listing = applicant.get("/sessions")
    assert listing.status_code == 200 and number in listing.text
    assert link.group(0) in html.unescape(listing.text)
    ics = applicant.get(f"/sessions/{meeting.id}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + dt.timedelta(minutes=90)
    assert str(event.get("url")).endswith(link.group(0))
    assert number in str(event.get("summary"))

    # The respondent asks to move it; the mediator declines with an answer.
    respondent = _browser(make_browser, world.respondent.phone)
    url = f"/sessions/{meeting.id}/reschedule-request"
    empty = respondent.submit(url, {"form": f"ask-{meeting.id}", "reason": "出差"})
    assert empty.status_code == 400 and "Suggest one or more times" in empty.text
    assert respondent.submit(url, {"form": f"ask-{meeting.id}", "reason": "出差",
                                   "proposed": "下周三下午"}).status_code == 303
    first = db.execute(select(RescheduleRequest)).scalar_one()
    assert "李四 asks to move this session" in mediator.get(f"/cases/{number}").text
    decline = f"/sessions/{meeting.id}/requests/{first.id}/decline"
    assert mediator.submit(decline, {"form": f"decline-{first.id}"}).status_code == 400
    assert mediator.submit(decline, {"form": f"decline-{first.id}",
                                     "answer": "时间已与申请人确认"}).status_code == 303
    assert "时间已与申请人确认" in respondent.get(f"/cases/{number}").text

    # Asked again, the mediator accepts: the reschedule form comes prefilled.
    assert respondent.submit(url, {"form": f"ask-{meeting.id}", "reason": "生病",
                                   "proposed": "周五"}).status_code == 303
    second = db.execute(select(RescheduleRequest).where(
        RescheduleRequest.id != first.id)).scalar_one()
    form = mediator.get(f"/sessions/{meeting.id}/reschedule?request={second.id}")
    assert form.status_code == 200 and "生病" in form.text and "周五" in form.text
    assert f'value="{local_input(start)}"' in form.text and 'value="90"' in form.text
    later = start + dt.timedelta(days=1)
    moved = mediator.submit(f"/sessions/{meeting.id}/reschedule?request={second.id}",
                            _plan(world, later, form="move"))
    assert moved.status_code == 303
    old, new = _sessions(db)
    assert old.status is SessionStatus.CANCELLED and new.replaces_id == old.id
    assert new.starts_at == later
    db.refresh(second)
    assert second.status.value == "accepted"
    page = respondent.get(f"/cases/{number}").text
    assert "Rescheduled" in page and f"/sessions/{new.id}/join" in page
    assert applicant.get("/sessions").text.count("/calendar.ics") == 1


def test_mediator_cancels_with_confirmation(db: Session, make_browser: Any) -> None:
    world = mediation_world(db)
    meeting = services.schedule(db, case=world.case, actor=world.mediator,
                                starts_at=next_hour(), duration=60, mode="online",
                                participant_ids=world.party_ids)
    db.commit()
    mediator = _browser(make_browser, world.mediator.phone)
    page = mediator.get(f"/cases/{world.case.number}").text
    assert 'data-confirm="Cancel this session? Every invitee is told."' in page
    url = f"/sessions/{meeting.id}/cancel"
    assert mediator.submit(url, {"form": f"cancel-{meeting.id}"}).status_code == 400
    assert mediator.submit(url, {"form": f"cancel-{meeting.id}",
                                 "reason": "调解员临时出差"}).status_code == 303
    assert _sessions(db)[0].status is SessionStatus.CANCELLED
    applicant = _browser(make_browser, world.applicant.phone)
    page = applicant.get(f"/cases/{world.case.number}").text
    assert "调解员临时出差" in page and "/join?t=" not in page
    assert "no upcoming mediation sessions" in applicant.get("/sessions").text
    # Parties cannot cancel; another mediator's pages are not found.
    assert applicant.submit(url, {"reason": "x"}).status_code == 403


def test_a_party_of_another_case_gets_404(db: Session, make_browser: Any) -> None:
    world = mediation_world(db)
    meeting = services.schedule(db, case=world.case, actor=world.mediator,
                                starts_at=next_hour(), duration=60, mode="online",
                                participant_ids=world.party_ids)
    db.commit()
    other = mediation_world(db, key=1)
    stranger = _browser(make_browser, other.applicant.phone)
    assert stranger.get(f"/sessions/{meeting.id}/calendar.ics").status_code == 404
    assert stranger.submit(f"/sessions/{meeting.id}/reschedule-request", {
        "reason": "x", "proposed": "y"}).status_code == 404
    assert world.case.number not in stranger.get("/sessions").text
    other_mediator = _browser(make_browser, other.mediator.phone)
    assert other_mediator.get(f"/sessions/{meeting.id}/reschedule").status_code == 404
    assert other_mediator.submit(f"/sessions/{meeting.id}/cancel",
                                 {"reason": "x"}).status_code == 404
    assert db.get(MediationSession, meeting.id).status is SessionStatus.SCHEDULED  # type: ignore[union-attr]
    # Someone who can see the case but was not invited gets no calendar file either.
    boss = _browser(make_browser, world.boss.phone)
    assert boss.get(f"/cases/{world.case.number}").status_code == 200
    assert boss.get(f"/sessions/{meeting.id}/calendar.ics").status_code == 404


def test_upcoming_sessions_are_paginated(db: Session, make_browser: Any) -> None:
    world = mediation_world(db)
    first = next_hour(days=1)
    for n in range(21):
        services.schedule(db, case=world.case, actor=world.mediator,
                          starts_at=first + dt.timedelta(hours=n), duration=30, mode="online",
                          participant_ids=world.party_ids)
    db.commit()
    mediator = _browser(make_browser, world.mediator.phone)
    page_one = mediator.get("/sessions").text
    assert page_one.count("/calendar.ics") == 20 and "Page 1 of 2" in page_one
    page_two = mediator.get("/sessions?page=2").text
    assert page_two.count("/calendar.ics") == 1
