"""The Starlette WebSocket as rtc's signaling channel, and single-use room passes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

import rtc
from portal.web.rtc_channel import PassRefused, RoomPasses, StarletteChannel

seen: list[Any] = []


async def echo(ws: WebSocket) -> None:
    """Echoes objects; closes with 4400 on a frame that is not JSON, as rtc does."""
    await ws.accept()
    channel = StarletteChannel(ws)
    while True:
        try:
            message = await channel.receive()
        except rtc.ChannelClosed as exc:
            seen.append(("closed", str(exc)))
            return
        except Exception:
            await channel.close(4400, "message is not JSON")
            await channel.close(4400, "twice")  # idempotent
            with pytest.raises(rtc.ChannelClosed):
                await channel.receive()
            seen.append("refused")
            return
        if message == {"type": "leave"}:
            await channel.close(1000, "left")
            return
        await channel.send({"echo": message})


@pytest.fixture
def client() -> Any:
    seen.clear()
    return TestClient(Starlette(routes=[WebSocketRoute("/ws", echo)]))


def test_messages_go_both_ways_and_close_carries_the_reason(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"echo": {"type": "ping"}}
        ws.send_json({"type": "leave"})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (1000, "left")


@pytest.mark.parametrize("frame", ["not json", b"\x00binary"])
def test_a_frame_that_is_not_json_is_a_bad_message(client: TestClient, frame: Any) -> None:
    with client.websocket_connect("/ws") as ws:
        if isinstance(frame, bytes):
            ws.send_bytes(frame)
        else:
            ws.send_text(frame)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (4400, "message is not JSON")
    assert seen == ["refused"]


def test_the_browser_going_away_is_channel_closed(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "ping"})
        ws.receive_json()
        ws.close(1001)
    assert seen == [("closed", "1001")]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _issue(passes: RoomPasses, user_id: int = 1) -> str:
    return passes.issue(user_id=user_id, login_id="login-1", meeting_id=7, invitee_id=70)


def test_a_pass_opens_once() -> None:
    passes = RoomPasses()
    token = _issue(passes)
    found = passes.redeem(token, user_id=1, login_id="login-1", meeting_id=7)
    assert (found.invitee_id, found.meeting_id) == (70, 7)
    with pytest.raises(PassRefused, match="already used"):
        passes.redeem(token, user_id=1, login_id="login-1", meeting_id=7)


@pytest.mark.parametrize("who", [
    {"user_id": 2, "login_id": "login-1", "meeting_id": 7},
    {"user_id": 1, "login_id": "login-2", "meeting_id": 7},
    {"user_id": 1, "login_id": "login-1", "meeting_id": 8},
])
def test_a_pass_is_bound_to_its_login_and_session(who: dict[str, Any]) -> None:
    passes = RoomPasses()
    token = _issue(passes)
    with pytest.raises(PassRefused, match="not a valid"):
        passes.redeem(token, **who)
    # Presenting it with the wrong login used it up.
    with pytest.raises(PassRefused, match="already used"):
        passes.redeem(token, user_id=1, login_id="login-1", meeting_id=7)


def test_forged_and_expired_passes_are_refused() -> None:
    clock = Clock()
    passes = RoomPasses(ttl=60, clock=clock)
    with pytest.raises(PassRefused, match="not a valid"):
        passes.redeem("forged", user_id=1, login_id="login-1", meeting_id=7)
    token = _issue(passes)
    clock.now += 61
    with pytest.raises(PassRefused, match="expired"):
        passes.redeem(token, user_id=1, login_id="login-1", meeting_id=7)


def test_issued_passes_are_bounded_and_pruned() -> None:
    clock = Clock()
    passes = RoomPasses(ttl=60, limit=2, clock=clock)
    first = _issue(passes)
    _issue(passes)
    with pytest.raises(PassRefused, match="too many"):
        _issue(passes)
    clock.now += 61
    _issue(passes)  # the expired ones are gone
    # Pruned: an expired pass is then simply unknown.
    with pytest.raises(PassRefused, match="not a valid"):
        passes.redeem(first, user_id=1, login_id="login-1", meeting_id=7)
