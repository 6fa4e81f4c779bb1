"""Bad input, mute and recording in a live room."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, cast

import av
import pytest

from rtc.channel import ChannelClosed
from rtc.events import EventKind
from rtc.manager import RoomManager
from rtc.memory import MemoryChannel
from rtc.seats import Role, Ticket
from tests.unit.rtc.harness import closed, eventually, harness, receives

pytestmark = pytest.mark.anyio

BAD_INPUT: list[tuple[Any, int, str]] = [
    ([1, 2], 4400, "a message must be a JSON object"),
    ({"type": "hack"}, 4400, "unknown message type 'hack'"),
    ({"type": "chat", "text": "x" * 2001}, 4400, "chat: text: String should have at most"),
    ({"type": "offer", "sdp": "x" * 70_000}, 4400, "message larger than 65536 bytes"),
    ({"type": "offer", "sdp": "v=0\r\nm=audio"}, 4400, "offer SDP cannot be parsed"),
    ({"type": "mute", "participant": "m", "muted": "yes"}, 4400, "mute: muted:"),
    ({"type": "candidate", "candidate": "candidate:1 1 udp", "sdpMid": "0"}, 4400,
     "candidate: candidate cannot be parsed"),
]


async def test_bad_input_is_closed_with_a_reason_and_the_room_survives() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        await eventually(lambda: receives(m, "a")() and receives(a, "m")())

        for index, (raw, code, reason) in enumerate(BAD_INPUT):
            bad = await h.join(f"x{index}", side="applicant", media=False)
            if isinstance(raw, dict) and raw.get("type") == "candidate":
                await bad.connect_media()
            await cast(MemoryChannel, bad.channel).send_raw(raw)
            await eventually(closed(bad), what=f"closing on {str(raw)[:40]}")
            assert bad.close_code == code
            assert (bad.close_reason or "").startswith(reason), bad.close_reason

        flooder = await h.join("flood", side="applicant", media=False)
        for _ in range(200):
            await flooder.send({"type": "ping"})
        await eventually(lambda: flooder.closed)
        assert (flooder.close_code, flooder.close_reason) == (4429, "too many messages")

        errors = [e for e in h.events if e.kind is EventKind.PROTOCOL_ERROR]
        assert len(errors) == len(BAD_INPUT) + 1
        seen = a.by_participant["m", "video"], m.by_participant["a", "video"]
        await eventually(lambda: a.by_participant["m", "video"] > seen[0] + 5
                         and m.by_participant["a", "video"] > seen[1] + 5)


class _NotJson:
    """A channel whose next frame cannot be decoded, as a WebSocket adapter reports it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def receive(self) -> dict[str, Any]:
        if self.closed:
            raise ChannelClosed
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def test_a_frame_that_is_not_json_closes_the_connection() -> None:
    async with RoomManager() as manager:
        channel = _NotJson()
        await manager.connect(channel, Ticket("r1", "m", Role.MEDIATOR))
        assert channel.closed == (4400, "message is not JSON")
        assert channel.sent[0]["type"] == "welcome"


async def test_mute_stops_audio_only_until_unmuted() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        await eventually(receives(m, "a"))
        await m.send({"type": "mute", "participant": "a", "muted": True})
        await a.wait_message("muted")
        await m.wait_for(lambda: m.latest("slots")["slots"][0]["audio"] is False)
        await asyncio.sleep(0.3)
        audio, video = m.by_participant["a", "audio"], m.by_participant["a", "video"]
        await asyncio.sleep(0.6)
        assert m.by_participant["a", "audio"] == audio
        assert m.by_participant["a", "video"] > video + 5
        muted = next(p for p in m.latest("participants")["participants"]
                     if p["participant"] == "a")
        assert muted["muted"] is True

        await m.send({"type": "mute", "participant": "a", "muted": False})
        await eventually(lambda: m.by_participant["a", "audio"] > audio + 5)


async def test_recording_muxes_forwarded_packets_into_webm(tmp_path: Path) -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        await eventually(lambda: receives(m, "a")() and receives(a, "m")())
        room = h.manager.room("r1")
        assert room is not None
        await room.start_recording(tmp_path)
        assert (await a.wait_message("recording"))["active"] is True
        await asyncio.sleep(1.5)
        recordings = await room.stop_recording()

        assert sorted(r.participant_id for r in recordings) == ["a", "m"]
        for recording in recordings:
            assert recording.path.parent == tmp_path
            assert recording.sha256 == hashlib.sha256(recording.path.read_bytes()).hexdigest()
            with av.open(str(recording.path)) as container:
                kinds = sorted(s.type for s in container.streams)
                assert kinds == ["audio", "video"]
                video = sum(1 for _ in container.decode(video=0))
            assert video == recording.video_frames >= 20
            assert recording.audio_frames >= 30
        stopped = next(e for e in h.events if e.kind is EventKind.RECORDING_STOPPED)
        assert {f["sha256"] for f in stopped.data["files"]} == {r.sha256 for r in recordings}
        await a.wait_for(lambda: a.latest("recording")["active"] is False)


async def test_one_connection_per_seat_and_seats_keep_their_role() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        first = await h.join("a", side="applicant", admit_by=m, media=False)
        second = await h.join("a", side="applicant", media=False)
        await eventually(closed(first))
        assert (first.close_code, first.close_reason) == (4409, "connected again from elsewhere")
        assert second.latest("welcome")["admitted"] is True and not second.closed

        impostor = h.connect(Ticket("r1", "a", Role.MEDIATOR))
        await impostor.start()
        await eventually(closed(impostor))
        assert (impostor.close_code, impostor.close_reason) == (
            4403, "this seat belongs to another role")
        assert not second.closed


async def test_an_unexpected_failure_closes_only_that_connection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        a = await h.join("a", side="applicant", admit_by=m, media=False)

        async def broken(self: object, sender_id: str, text: str) -> None:
            raise RuntimeError("bug")

        monkeypatch.setattr("rtc.room.Room.chat", broken)
        await a.send({"type": "chat", "text": "hello"})
        await eventually(closed(a))
        assert (a.close_code, a.close_reason) == (1011, "internal error")
        await m.send({"type": "ping"})
        await m.wait_message("pong")


async def test_shutdown_ends_every_room_and_refuses_newcomers() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        other = await h.join("m2", Role.MEDIATOR, room="r2", media=False)
        await h.manager.close()
        await eventually(lambda: m.closed and other.closed)
        assert (m.close_code, m.close_reason) == (1001, "the server is shutting down")
        late = h.connect(Ticket("r3", "x", Role.MEDIATOR))
        await late.start()
        await eventually(closed(late))
        assert late.close_code == 1001
        assert [e.data["reason"] for e in h.events if e.kind is EventKind.ROOM_ENDED] == [
            "shutdown", "shutdown"]
