"""Helpers of the video room tests: a scheduled session, verified invitees, several logged-in
clients on one running app, room passes and WebSocket reading."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from portal.accounts.models import User
from portal.db.types import utcnow
from portal.mediation import services
from portal.mediation.models import MediationSession, SessionInvitee
from portal.notifications.models import OutboundMessage
from tests.functional.conftest import Browser
from tests.mediation_world import World, next_hour


def schedule(db: Session, world: World, *, recording: bool = False,
             agent: bool = False) -> MediationSession:
    people = [*world.party_ids, *([world.agent.id] if agent else [])]
    meeting = services.schedule(db, case=world.case, actor=world.mediator,
                                starts_at=next_hour(), duration=60, mode="online",
                                participant_ids=people, recording_requested=recording)
    db.commit()
    return meeting


def people(meeting: MediationSession) -> dict[str, SessionInvitee]:
    """Invitees by name: 王调解 (mediator), 张三 (applicant), 李四 (respondent), 赵律师."""
    return {i.name: i for i in meeting.invitees}


def sms_code(db: Session, phone: str) -> str:
    db.expire_all()
    body = db.execute(select(OutboundMessage.body).where(OutboundMessage.recipient == phone)
                      .order_by(OutboundMessage.id.desc()).limit(1)).scalar_one()
    found = re.search(r"\d{6}", body)
    assert found is not None
    return found.group(0)


def verified(db: Session, *invitees: SessionInvitee, consent: bool | None = None) -> None:
    """As if they had confirmed the SMS code (and answered the recording question)."""
    for invitee in invitees:
        invitee.identity_verified_at = utcnow()
        if consent is not None:
            invitee.recording_consent = consent
    db.commit()


class Clients:
    """Browsers with their own cookies, all on the one app whose lifespan ``host`` runs."""

    def __init__(self, host: Browser) -> None:
        self.host = host

    def __call__(self, user: User | None = None) -> Browser:
        client = Browser(self.host.app)
        # Requests and sockets of every client run on the host's event loop and lifespan.
        client.portal = self.host.portal
        if user is not None:
            client.login(user.phone)
        return client

    def drain(self) -> None:
        """Wait until the room events so far are written to the database."""
        assert self.host.portal is not None
        self.host.portal.call(self.host.app.state.video.events.drain)

    def settle(self, db: Session, check: Callable[[], bool], seconds: float = 5.0) -> None:
        """Until ``check`` holds: some events (a leave) follow the close the test saw."""
        deadline = time.monotonic() + seconds
        while True:
            self.drain()
            db.expire_all()
            if check():
                return
            assert time.monotonic() < deadline, "the room's events were not recorded"
            time.sleep(0.05)


def room_url(client: Browser, meeting_id: int) -> str:
    response = client.post(f"/sessions/{meeting_id}/room/pass",
                           headers={"x-csrftoken": client.csrf()})
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


@contextmanager
def joined(client: Browser,
           meeting_id: int) -> Iterator[tuple[WebSocketTestSession, dict[str, Any]]]:
    """A room connection and its welcome."""
    with client.websocket_connect(room_url(client, meeting_id)) as ws:
        yield ws, until(ws, "welcome")


def until(ws: WebSocketTestSession, kind: str,
          match: Callable[[dict[str, Any]], bool] = lambda m: True) -> dict[str, Any]:
    """Read messages until one of ``kind`` (that ``match``es) arrives."""
    for _ in range(50):
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") == kind and match(message):
            return message
    raise AssertionError(f"no {kind} message")
