"""Headless aiortc participants in one room: who receives whose audio and video."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from rtc.events import EventKind
from rtc.headless import HeadlessClient
from rtc.seats import Role, Ticket
from rtc.settings import RtcSettings
from tests.unit.rtc.harness import audio_frames, eventually, harness, receives, video_frames

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("size", [2, 3, 5])
async def test_everyone_receives_everyone_elses_audio_and_video(size: int) -> None:
    async with harness() as h:
        mediator = await h.join("m", Role.MEDIATOR)
        clients = {"m": mediator}
        for index in range(1, size):
            side = "applicant" if index % 2 else "respondent"
            clients[f"p{index}"] = await h.join(f"p{index}", side=side, admit_by=mediator)
        for (me, client), other in itertools.product(clients.items(), clients):
            if other != me:
                await eventually(receives(client, other), what=f"{me} receiving {other}")
        # Forwarded, not re-encoded: every received frame is one the publisher sent.
        for client in clients.values():
            assert client.frames_seen is not None
            for key, frames in client.frames_seen.items():
                source = video_frames() if key.endswith("/video") else audio_frames()
                assert set(frames) <= set(source), key
        kinds = h.kinds()
        assert kinds.count(EventKind.MEDIA_CONNECTED) == size
        assert kinds.count(EventKind.ADMITTED) == size - 1


async def test_caucus_cuts_the_other_side_off_and_ends_cleanly() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        r1 = await h.join("r1", side="respondent", admit_by=m)
        r2 = await h.join("r2", side="respondent", admit_by=m)
        await eventually(lambda: all(receives(r1, p)() for p in ("m", "a", "r2")))

        await m.send({"type": "caucus", "side": "applicant"})
        notice = await r1.wait_message("caucus")
        assert notice == {"type": "caucus", "active": True, "side": "applicant",
                          "included": False}
        assert (await a.wait_message("caucus"))["included"] is True
        await r1.wait_for(lambda: {s["participant"] for s in r1.latest("slots")["slots"]}
                          == {"r2", None})
        await asyncio.sleep(0.3)  # frames already on the wire
        r1_total, r1_from_r2 = r1.total(), _from(r1, "r2")
        m_total, m_from_a = m.total(), _from(m, "a")
        await asyncio.sleep(1.0)
        # The excluded side still hears itself, and nothing from the caucus.
        assert _from(r1, "r2") > r1_from_r2
        assert r1.total() - r1_total == _from(r1, "r2") - r1_from_r2
        # The mediator receives only the caucus side.
        assert m.total() - m_total == _from(m, "a") - m_from_a > 0

        await a.send({"type": "chat", "text": "our offer"})
        chat = await m.wait_message("chat")
        assert chat["private"] is True and chat["text"] == "our offer"
        await asyncio.sleep(0.2)
        assert r1.last("chat") is None and r2.last("chat") is None
        chat_event = next(e for e in h.events if e.kind is EventKind.CHAT)
        assert sorted(chat_event.data["recipients"]) == ["a", "m"]

        requests_before = m.video.keyframe_requests if m.video else 0
        await m.send({"type": "caucus", "side": None})
        await r1.wait_for(lambda: r1.latest("caucus")["active"] is False)
        seen = r1.by_participant["m", "video"]
        await eventually(lambda: r1.by_participant["m", "video"] >= seen + 5, timeout=3,
                         what="r1 seeing the mediator again")
        assert m.video is not None and m.video.keyframe_requests > requests_before
        kinds = h.kinds()
        assert EventKind.CAUCUS_STARTED in kinds and EventKind.CAUCUS_ENDED in kinds


async def test_removed_participant_stops_receiving_and_cannot_rejoin() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        r = await h.join("r", side="respondent", admit_by=m)
        await eventually(lambda: receives(a, "r")() and receives(r, "a")())

        await m.send({"type": "remove", "participant": "r"})
        await eventually(lambda: r.closed, what="r closed")
        assert r.close_code == 4403 and "removed" in (r.close_reason or "")
        await a.wait_for(lambda: all(s["participant"] != "r" for s in a.latest("slots")["slots"]))
        await asyncio.sleep(0.3)
        seen = a.by_participant["r", "video"]
        await asyncio.sleep(0.5)
        assert a.by_participant["r", "video"] == seen

        again = h.connect(r_ticket := _ticket("r", "respondent"))
        await again.start()
        await eventually(lambda: again.closed, what="rejoin refused")
        assert again.close_code == 4403 and "removed" in (again.close_reason or "")
        assert again.last("welcome") is None
        assert any(e.kind is EventKind.REFUSED and e.participant_id == r_ticket.participant_id
                   for e in h.events)
        # The room carries on.
        seen = a.by_participant["m", "video"]
        await eventually(lambda: a.by_participant["m", "video"] > seen + 3)


def _ticket(pid: str, side: str | None, role: Role = Role.PARTY) -> Ticket:
    return Ticket("r1", pid, role, side, display_name=pid)


def _from(client: HeadlessClient, publisher: str) -> int:
    return client.by_participant[publisher, "audio"] + client.by_participant[publisher, "video"]


async def test_dropped_connection_rejoins_the_same_seat() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=m)
        await eventually(lambda: receives(m, "a")() and receives(a, "m")())
        await m.send({"type": "mute", "participant": "a", "muted": True})
        assert (await a.wait_message("muted"))["muted"] is True

        # The network drops: the socket and the peer connection are gone.
        await a.close()
        await m.wait_for(lambda: all(s["participant"] != "a" for s in m.latest("slots")["slots"]))

        back = await h.join("a", side="applicant")  # no admission needed the second time
        welcome = back.last("welcome")
        assert welcome is not None and welcome["admitted"] is True
        assert back.last("muted") == {"type": "muted", "muted": True}
        await eventually(receives(back, "m"), what="a receiving m again")
        video = m.by_participant["a", "video"]
        audio = m.by_participant["a", "audio"]
        await eventually(lambda: m.by_participant["a", "video"] > video + 5)
        assert m.by_participant["a", "audio"] == audio  # still muted: the seat kept it
        joined = [e for e in h.events if e.kind is EventKind.JOINED and e.participant_id == "a"]
        assert [e.data["reconnect"] for e in joined] == [False, True]

        # Only the peer connection drops: the server releases it, the seat stays.
        await back.drop_media()
        room = h.manager.room("r1")
        assert room is not None
        await eventually(lambda: room.session("a").peer is None,  # type: ignore[union-attr]
                         what="server releasing the dead peer")
        assert any(e.kind is EventKind.MEDIA_LOST and e.participant_id == "a"
                   for e in h.events)
        back.messages.clear()
        await back.connect_media()  # a new offer on the same socket
        await back.wait_message("slots")  # the new connection gets its slot map
        seen = back.by_participant["m", "video"]
        await eventually(lambda: back.by_participant["m", "video"] > seen + 5)


async def test_waiting_room_until_the_mediator_admits() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant")
        assert a.latest("welcome")["admitted"] is False
        await m.wait_for(lambda: any(p["participant"] == "a" and not p["admitted"]
                                     for p in m.latest("participants")["participants"]))
        await asyncio.sleep(0.8)
        assert a.total() == 0 and m.total() == 0
        assert EventKind.WAITING in h.kinds()

        await m.send({"type": "admit", "participant": "a"})
        await a.wait_message("admission")
        await eventually(lambda: receives(a, "m")() and receives(m, "a")())


async def test_party_cannot_use_mediator_controls() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        a = await h.join("a", side="applicant", admit_by=m, media=False)
        for message in ({"type": "end"}, {"type": "caucus", "side": "applicant"},
                        {"type": "remove", "participant": "m"}):
            await a.send(message)
            error = await a.wait_message("error")
            assert error["reason"] == f"only the mediator may {message['type']}"
            a.messages.clear()
        await m.send({"type": "remove", "participant": "m"})
        assert (await m.wait_message("error"))["reason"] == "a mediator cannot be removed"
        assert h.manager.room("r1") is not None and not a.closed


async def test_mediator_ends_the_room() -> None:
    async with harness() as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        a = await h.join("a", side="applicant", admit_by=m, media=False)
        await m.send({"type": "end"})
        await eventually(lambda: a.closed and m.closed)
        assert a.close_code == 4410
        assert h.manager.room("r1") is None
        late = h.connect(_ticket("a", "applicant"))
        await late.start()
        await eventually(lambda: late.closed)
        assert late.close_code == 4410
        ended = [e for e in h.events if e.kind is EventKind.ROOM_ENDED]
        assert [e.data["reason"] for e in ended] == ["mediator"]


async def test_room_ends_after_everyone_left() -> None:
    async with harness(RtcSettings(empty_room_grace=0.2)) as h:
        m = await h.join("m", Role.MEDIATOR, media=False)
        await m.send({"type": "leave"})
        await eventually(lambda: m.closed)
        assert m.close_code == 1000
        await eventually(lambda: h.manager.room("r1") is None)
        assert [e.data["reason"] for e in h.events if e.kind is EventKind.ROOM_ENDED] == ["empty"]


async def test_a_room_no_mediator_joined_is_dropped_but_not_ended() -> None:
    async with harness(RtcSettings(empty_room_grace=0.1)) as h:
        early = await h.join("a", side="applicant", media=False)
        await early.send({"type": "leave"})
        await eventually(lambda: h.manager.room("r1") is None)
        assert not h.manager.is_ended("r1")
        m = await h.join("m", Role.MEDIATOR, media=False)
        await m.send({"type": "leave"})
        await eventually(lambda: h.manager.is_ended("r1"))
        reasons = [e.data["reason"] for e in h.events if e.kind is EventKind.ROOM_ENDED]
        assert reasons == ["unused", "empty"]
