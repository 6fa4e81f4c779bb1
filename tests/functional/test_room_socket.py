"""The room's WebSocket: who is refused (closed cleanly, with a reason, the room carrying
on) and what the room writes to the session's records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from portal.mediation.models import (
    Audience,
    ChatMessage,
    MediationSession,
    SessionStatus,
)
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.functional.room_support import (
    Clients,
    joined,
    people,
    room_url,
    schedule,
    until,
    verified,
)
from tests.mediation_world import World, mediation_world


@pytest.fixture
def world(db: Session) -> World:
    return mediation_world(db)


@pytest.fixture
def meeting(db: Session, world: World) -> MediationSession:
    meeting = schedule(db, world)
    verified(db, people(meeting)["张三"], people(meeting)["李四"])
    return meeting


@pytest.fixture
def clients(browser: Browser) -> Iterator[Clients]:
    yield Clients(browser)


def _closed(ws: Any) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(200):
            ws.receive_json()
    return closed.value


def _pong(ws: Any) -> None:
    ws.send_json({"type": "ping"})
    until(ws, "pong")


def _seat(meeting: MediationSession, name: str) -> str:
    return str(people(meeting)[name].id)


def test_refusals_close_with_a_reason_and_the_room_carries_on(
        db: Session, world: World, meeting: MediationSession, clients: Clients) -> None:
    mediator = clients(world.mediator)
    with joined(mediator, meeting.id) as (room, welcome):
        assert welcome["role"] == "mediator" and welcome["admitted"] is True
        # In development and tests the browser gets no ICE servers at all.
        assert welcome["ice_servers"] == []

        # Not logged in.
        with clients().websocket_connect(f"/sessions/{meeting.id}/ws?pass=x") as ws:
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4401, "log in first")

        # Logged in but not invited: no pass, and a made-up one is refused.
        stranger = clients(UserFactory())
        answer = stranger.post(f"/sessions/{meeting.id}/room/pass",
                               headers={"x-csrftoken": stranger.csrf()})
        assert answer.status_code == 404
        with stranger.websocket_connect(f"/sessions/{meeting.id}/ws?pass=forged") as ws:
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4403, "not a valid room pass")

        # A pass is used once: a replay is refused.
        party = clients(world.applicant)
        url = room_url(party, meeting.id)
        with party.websocket_connect(url) as ws:
            assert until(ws, "welcome")["admitted"] is False
        with party.websocket_connect(url) as ws:
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4403,
                                                "this room pass was already used; reload the page")

        # Someone else's pass, presented with another login.
        theirs = room_url(clients(world.respondent), meeting.id)
        with party.websocket_connect(theirs) as ws:
            assert _closed(ws).code == 4403

        # From another site.
        with party.websocket_connect(room_url(party, meeting.id),
                                     headers={"origin": "https://evil.example"}) as ws:
            assert _closed(ws).code == 4403

        # Malformed messages close that connection only.
        for bad in ("not json", '{"type": "offer"}', '{"type": "dance"}', "[1, 2]"):
            with party.websocket_connect(room_url(party, meeting.id)) as ws:
                until(ws, "welcome")
                ws.send_text(bad)
                assert _closed(ws).code == 4400
        # A flood of messages.
        with party.websocket_connect(room_url(party, meeting.id)) as ws:
            until(ws, "welcome")
            for _ in range(100):
                ws.send_json({"type": "ping"})
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4429, "too many messages")
        _pong(room)
        assert mediator.get(f"/sessions/{meeting.id}/room").status_code == 200


def test_a_removed_party_is_closed_out_and_cannot_come_back(
        db: Session, world: World, meeting: MediationSession, clients: Clients) -> None:
    mediator, party = clients(world.mediator), clients(world.applicant)
    zhang = _seat(meeting, "张三")
    with joined(mediator, meeting.id) as (room, _):
        spare = room_url(party, meeting.id)  # issued before the removal
        with joined(party, meeting.id) as (ws, _):
            until(room, "participants",
                  lambda m: any(p["participant"] == zhang for p in m["participants"]))
            room.send_json({"type": "admit", "participant": zhang})
            assert until(ws, "admission")["admitted"] is True
            room.send_json({"type": "remove", "participant": zhang})
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4403, "removed from this session by the mediator")
        clients.settle(db, lambda: people(meeting)["张三"].removed_at is not None)
        again = party.post(f"/sessions/{meeting.id}/room/pass",
                           headers={"x-csrftoken": party.csrf()})
        assert again.status_code == 403
        with party.websocket_connect(spare) as ws:
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4403, "removed from this session by the mediator")
        assert party.get(f"/sessions/{meeting.id}/room").status_code == 403
        _pong(room)


def test_joins_admissions_chat_and_the_end_are_recorded(
        db: Session, world: World, meeting: MediationSession, clients: Clients) -> None:
    mediator, zhang, lisi = (clients(world.mediator), clients(world.applicant),
                             clients(world.respondent))
    z, li = _seat(meeting, "张三"), _seat(meeting, "李四")
    with joined(mediator, meeting.id) as (room, _), joined(zhang, meeting.id) as (a, _), \
            joined(lisi, meeting.id) as (b, _):
        for seat in (z, li):
            room.send_json({"type": "admit", "participant": seat})
        until(a, "admission")
        until(b, "admission")
        a.send_json({"type": "chat", "text": "  我同意分期付款  "})
        assert until(b, "chat")["text"] == "我同意分期付款"
        # A caucus with the applicant: the respondent is told to wait; chat stays inside.
        room.send_json({"type": "caucus", "side": "applicant"})
        assert until(b, "caucus")["included"] is False
        assert until(a, "caucus")["included"] is True
        room.send_json({"type": "chat", "text": "私下说：底线是多少？"})
        assert until(a, "chat")["private"] is True
        b.send_json({"type": "chat", "text": "我们等一下"})
        until(b, "chat")
        room.send_json({"type": "caucus", "side": None})
        assert until(b, "caucus")["active"] is False
        b.send_json({"type": "leave"})
        assert _closed(b).code == 1000
        seats = people(meeting)
        clients.settle(db, lambda: seats["李四"].left_at is not None)
        assert db.get(MediationSession, meeting.id).status is SessionStatus.LIVE  # type: ignore[union-attr]
        assert seats["王调解"].joined_at is not None
        assert seats["张三"].admitted_at is not None and seats["张三"].joined_at is not None
        assert seats["李四"].left_at is not None
        chat = db.execute(select(ChatMessage.text, ChatMessage.audience)
                          .order_by(ChatMessage.id)).all()
        assert [tuple(row) for row in chat] == [
            ("我同意分期付款", Audience.ALL), ("私下说：底线是多少？", Audience.APPLICANT),
            ("我们等一下", Audience.RESPONDENT)]
        room.send_json({"type": "end"})
        assert _closed(a).code == 4410
    clients.settle(db, lambda: db.get(MediationSession, meeting.id).status  # type: ignore[union-attr]
                   is SessionStatus.ENDED)
    # An ended session's room is closed for good.
    assert mediator.post(f"/sessions/{meeting.id}/room/pass",
                         headers={"x-csrftoken": mediator.csrf()}).status_code == 410


def test_a_second_connection_of_the_same_seat_replaces_the_first(
        world: World, meeting: MediationSession, clients: Clients) -> None:
    mediator = clients(world.mediator)
    with joined(mediator, meeting.id) as (first, _), \
            joined(mediator, meeting.id) as (second, welcome):
        assert welcome["admitted"] is True
        assert _closed(first).code == 4409
        _pong(second)
