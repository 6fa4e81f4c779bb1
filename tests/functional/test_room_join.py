"""The pre-join page: the invitation's link, the identity code, the recording answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.mediation import room as mediation_room
from portal.mediation import services, tokens
from portal.mediation.models import MediationSession
from tests.functional.conftest import Browser
from tests.functional.room_support import people, schedule, sms_code
from tests.mediation_world import AGENT_PHONE, World, mediation_world


def _english(browser: Browser) -> Browser:
    browser.get("/lang/en")
    return browser


def _link(meeting: MediationSession, name: str) -> str:
    return tokens.join_path(meeting, people(meeting)[name])


def _confirm(browser: Browser, db: Session, link: str, phone: str) -> Any:
    path, _, query = link.partition("?")
    sent = browser.submit(f"{path}/code?{query}")
    assert sent.status_code == 200 and "A code was sent to" in sent.text
    return browser.submit(f"{path}/verify?{query}", {"code": sms_code(db, phone)})


def test_a_party_confirms_the_code_answers_on_recording_and_may_enter(
        db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world, recording=True)
    link = _link(meeting, "张三")
    path, _, query = link.partition("?")
    _english(browser)

    page = browser.get(link)
    assert page.status_code == 200
    assert "Confirm your identity" in page.text and "139****9999" in page.text
    assert "Enter the room" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"

    browser.submit(f"{path}/code?{query}")
    wrong = browser.submit(f"{path}/verify?{query}", {"code": "000000"})
    assert wrong.status_code == 400 and "The code is not correct." in wrong.text
    done = browser.submit(f"{path}/verify?{query}", {"code": sms_code(db, world.applicant.phone)})
    assert done.status_code == 303 and done.headers["location"] == link
    # Confirming logged the party in.
    assert "odr_access" in browser.cookies

    page = browser.get(link)
    assert "Check your camera and microphone" in page.text
    assert 'src="/static/js/prejoin.js"' in page.text
    assert "Answer the recording question to enter the room." in page.text
    assert browser.get(f"/sessions/{meeting.id}/room",
                       follow_redirects=False).headers["location"] == link

    assert browser.submit(f"{path}/consent?{query}", {}).status_code == 400
    assert browser.submit(f"{path}/consent?{query}", {"consent": "no"}).status_code == 303
    db.expire_all()
    invitee = people(meeting)["张三"]
    assert invitee.identity_verified_at is not None and invitee.recording_consent is False
    page = browser.get(link)
    assert f'href="/sessions/{meeting.id}/room"' in page.text
    room = browser.get(f"/sessions/{meeting.id}/room")
    assert room.status_code == 200 and 'src="/static/js/room.js"' in room.text
    assert "<script>" not in room.text


def test_a_party_without_an_account_gets_one_by_the_code(db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world, agent=True)
    assert world.agent.user_id is None
    _english(browser)
    done = _confirm(browser, db, _link(meeting, "赵律师"), AGENT_PHONE)
    assert done.status_code == 303
    db.expire_all()
    account = db.execute(select(User).where(User.phone == AGENT_PHONE)).scalar_one()
    assert world.agent.user_id == account.id
    assert "Check your camera" in browser.get(_link(meeting, "赵律师")).text


def test_the_mediator_logs_in_with_a_password_and_needs_no_code(
        db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world)
    link = _link(meeting, "王调解")
    to_login = browser.get(link, follow_redirects=False)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")
    browser.login(world.mediator.phone)
    page = _english(browser).get(link)
    assert "Enter the room" in page.text and "Confirm your identity" not in page.text


def test_wrong_expired_and_foreign_links(db: Session, browser: Browser, make_browser: Any) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world)
    _english(browser)
    link = _link(meeting, "张三")
    forged = link[:-3] + "abc"
    assert browser.get(forged).status_code == 404
    assert "This link is not valid" in browser.get(forged).text
    assert browser.get(f"/sessions/{meeting.id}/join").status_code == 404
    assert browser.submit(forged.replace("/join?", "/join/code?")).status_code == 404

    # Logged in as someone else, the party's link is refused.
    other: Browser = _english(make_browser())
    other.login(world.respondent.phone)
    refused = other.get(link)
    assert refused.status_code == 403 and "sent to another person" in refused.text

    # Removed by the mediator.
    mediation_room.remove(db, invitee=people(meeting)["李四"], actor=world.mediator)
    db.commit()
    removed = browser.get(_link(meeting, "李四"))
    assert removed.status_code == 403 and "removed you" in removed.text

    # Cancelled: the link is no longer usable.
    services.cancel(db, meeting=meeting, actor=world.mediator, reason="改期")
    db.commit()
    gone = browser.get(link)
    assert gone.status_code == 410 and "cancelled" in gone.text


def test_a_party_of_another_world_cannot_use_a_link_for_this_session(
        db: Session, browser: Browser) -> None:
    world: World = mediation_world(db)
    meeting = schedule(db, world)
    elsewhere = mediation_world(db, key=1)
    other = schedule(db, elsewhere)
    # A valid token, for another session id.
    token = tokens.join_path(other, people(other)["张三"]).partition("?")[2]
    assert browser.get(f"/sessions/{meeting.id}/join?{token}").status_code == 404
