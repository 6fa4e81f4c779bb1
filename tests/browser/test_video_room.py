"""Two headless Chromium pages join one video room through the real pages (the mediator
admits the party) and each decodes the other's video, relayed by the rtc media server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mediation import tokens
from portal.mediation.models import CaucusNote, MediationSession, SessionStatus
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, add_evidence
from tests.functional.room_support import people, schedule, sms_code, verified
from tests.mediation_world import mediation_world
from tests.services import unavailable

pytestmark = pytest.mark.browser

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--no-first-run"]
FRAMES_DECODED = """async () => {
  const pc = window.odrRoom && window.odrRoom.pc;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
  });
  return frames;
}"""
RENEWED = """() => {
  const pc = window.odrRoom.pc;
  return Boolean(pc && pc !== window.oldPc && pc.connectionState === "connected");
}"""

# Screen sharing replaces the camera on the same video sender (no renegotiation).
SHARING = """() => {
  const room = window.odrRoom;
  return Boolean(room.screen) && room.videoSender.track === room.screen;
}"""


@pytest.fixture
def media_chromium() -> Iterator[Any]:
    """Chromium with a fake camera and microphone, allowed without asking."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
        try:
            yield browser
        finally:
            browser.close()


def _page(browser: Any, base_url: str) -> Any:
    context = browser.new_context(base_url=base_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/lang/en")
    return page


def _decoding(page: Any, seconds: float = 30) -> int:
    """framesDecoded of the remote video, once it has grown twice in a row."""
    deadline = time.monotonic() + seconds
    seen = [page.evaluate(FRAMES_DECODED)]
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        seen.append(page.evaluate(FRAMES_DECODED))
        if len(seen) >= 3 and 0 < seen[-3] < seen[-2] < seen[-1]:
            return int(seen[-1])
    raise AssertionError(f"remote video is not decoded: framesDecoded {seen[-6:]}")


def test_mediator_and_party_see_each_other(db: Session, live_server: str,
                                           media_chromium: Any) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world)
    seats = people(meeting)

    mediator = _page(media_chromium, live_server)
    mediator.goto("/login")
    mediator.fill("[name=phone]", world.mediator.phone)
    mediator.fill("[name=password]", PASSWORD)
    mediator.click("main form button")
    mediator.wait_for_url(lambda url: "/login" not in url)
    mediator.goto(tokens.join_path(meeting, seats["王调解"]))
    mediator.click("#enter-room")
    mediator.wait_for_url(f"**/sessions/{meeting.id}/room")
    # The pages' CSP forbids eval: wait with selectors, not wait_for_function strings.
    mediator.wait_for_selector("#room-status:text-is('Connected.')")

    # The party opens the invitation's link without being logged in: the code logs them in.
    party = _page(media_chromium, live_server)
    party.goto(tokens.join_path(meeting, seats["张三"]))
    party.click("form[action*='/join/code'] button")
    party.wait_for_selector("text=A code was sent to")
    party.fill("[name=code]", sms_code(db, world.applicant.phone))
    party.click("form[action*='/join/verify'] button")
    party.wait_for_selector("#prejoin-status:text-is('Your camera and microphone work. "
                            "You can choose others below.')")
    assert party.eval_on_selector("#prejoin-preview", "v => v.videoWidth") > 0
    assert party.eval_on_selector("#prejoin-camera", "s => s.options.length") >= 1
    party.click("#enter-room")
    party.wait_for_url(f"**/sessions/{meeting.id}/room")
    party.wait_for_selector("#room-waiting", state="visible")

    admit = "#room-waiting-list button"
    mediator.wait_for_selector(admit)
    mediator.click(admit)
    party.wait_for_selector("#room-waiting", state="hidden")

    assert _decoding(party) > 0
    assert _decoding(mediator) > 0
    party.wait_for_selector("#room-people >> text=王调解")
    assert party.locator(".room-tile:not([hidden]) .room-name").first.inner_text() == "王调解"

    # The party's socket drops: room.js reconnects with a fresh pass and a new peer
    # connection under the same seat (no second admission), and video flows again.
    party.evaluate("() => { window.oldPc = window.odrRoom.pc; window.odrRoom.ws.close(); }")
    deadline = time.monotonic() + 20
    while not party.evaluate(RENEWED):
        assert time.monotonic() < deadline, "the party did not reconnect"
        party.wait_for_timeout(250)
    assert party.is_hidden("#room-waiting")
    assert _decoding(party) > 0
    assert _decoding(mediator) > 0


def _enter(page: Any, link: str, meeting_id: int) -> None:
    page.goto(link)
    page.click("#enter-room")
    page.wait_for_url(f"**/sessions/{meeting_id}/room")


def test_the_mediators_controls_chat_and_a_shown_document(
        db: Session, live_server: str, media_chromium: Any) -> None:
    world = mediation_world(db)
    evidence = add_evidence(db, world.case, world.applicant, name="劳动合同.pdf")
    db.commit()
    meeting = schedule(db, world)
    seats = people(meeting)
    verified(db, seats["张三"])

    pages = {}
    for name, user in (("mediator", world.mediator), ("party", world.applicant)):
        page = pages[name] = _page(media_chromium, live_server)
        page.goto("/login")
        page.fill("[name=phone]", user.phone)
        page.fill("[name=password]", PASSWORD)
        page.click("main form button")
        page.wait_for_url(lambda url: "/login" not in url)
        # Confirmations (remove, end) are accepted.
        page.on("dialog", lambda dialog: dialog.accept())
    mediator, party = pages["mediator"], pages["party"]
    _enter(mediator, tokens.join_path(meeting, seats["王调解"]), meeting.id)
    _enter(party, tokens.join_path(meeting, seats["张三"]), meeting.id)
    mediator.click("#room-waiting-list button")
    party.wait_for_selector("#room-waiting", state="hidden")

    party.fill("#room-chat-text", "<b>可以分期吗</b>")
    party.press("#room-chat-text", "Enter")
    mediator.wait_for_selector("#room-chat >> text=<b>可以分期吗</b>")  # text, not HTML

    mediator.click("#room-document button")
    link = f"a[href='/cases/{world.case.number}/evidence/{evidence.id}']"
    party.wait_for_selector(f"#room-chat {link}")

    mediator.click("#room-share")
    mediator.wait_for_selector("#room-share:text-is('Stop sharing')")
    assert mediator.evaluate(SHARING) is True
    mediator.click("#room-share")
    mediator.wait_for_selector("#room-share:text-is('Share my screen')")
    assert mediator.evaluate(SHARING) is False

    mediator.click("[data-caucus=applicant]")
    mediator.wait_for_selector("#room-note", state="visible")
    assert party.is_hidden("#room-caucus")  # the applicant is in the caucus
    mediator.fill("#room-note-text", "申请人底线：分三期")
    mediator.click("#room-note button")
    mediator.wait_for_selector("#room-notes >> text=申请人底线：分三期")
    mediator.click("#room-caucus-end")
    mediator.wait_for_selector("#room-note", state="hidden")

    mediator.click("#room-people button:text-is('Mute')")
    party.wait_for_selector("#room-muted", state="visible")
    assert party.evaluate("() => window.odrRoom.mic.enabled") is False
    mediator.click("#room-people button:text-is('Unmute')")
    party.wait_for_selector("#room-muted", state="hidden")

    mediator.click("#room-people button:text-is('Remove')")
    party.wait_for_selector("#room-alert:has-text('You cannot take part in this session')")
    mediator.click("#room-end")
    mediator.wait_for_selector("#room-alert:has-text('The session has ended.')")

    # The room's events reach the database a moment after the pages show them.
    deadline = time.monotonic() + 10
    while True:
        db.expire_all()
        ended = db.get(MediationSession, meeting.id).status is SessionStatus.ENDED  # type: ignore[union-attr]
        if ended or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ended
    assert people(meeting)["张三"].removed_at is not None
    assert [n.text for n in db.execute(select(CaucusNote)).scalars()] == ["申请人底线：分三期"]
