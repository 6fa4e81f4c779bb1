"""The baseline of bench/video.py: aiortc as its examples use it. Every published track is
decoded, shared through ``MediaRelay`` and encoded again by each subscriber's sender. It
speaks the same signaling subset (welcome, offer/answer, slot map) as rtc/ to the same
headless clients. Used for measuring only."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from av.frame import Frame

from rtc import messages as m
from rtc.channel import ChannelClosed, SignalingChannel
from rtc.ice import IceSettings, build_configuration
from rtc.offer import parse_offer
from rtc.peer import prefer_codecs
from rtc.seats import Ticket


class SwitchTrack(MediaStreamTrack):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._ready = asyncio.Event()

    def set(self, source: MediaStreamTrack) -> None:
        self._source = source
        self._ready.set()

    async def recv(self) -> Frame:
        await self._ready.wait()
        assert self._source is not None
        frame = await self._source.recv()
        assert isinstance(frame, Frame)
        return frame


@dataclass
class Member:
    participant_id: str
    channel: SignalingChannel
    pc: RTCPeerConnection | None = None
    tracks: dict[str, MediaStreamTrack] = field(default_factory=dict)
    slots: list[tuple[str, str, SwitchTrack, SwitchTrack]] = field(default_factory=list)
    assigned: list[str | None] = field(default_factory=list)


class RelayRoom:
    def __init__(self, max_slots: int) -> None:
        self.relay = MediaRelay()
        self.members: dict[str, Member] = {}
        self.max_slots = max_slots

    async def connect(self, channel: SignalingChannel, ticket: Ticket) -> None:
        member = Member(ticket.participant_id, channel)
        self.members[member.participant_id] = member
        await channel.send(m.Welcome(
            room=ticket.room_id, participant=member.participant_id, role=ticket.role.value,
            side=ticket.side, admitted=True, max_slots=self.max_slots,
            ice_servers=[]).model_dump(mode="json"))
        try:
            while True:
                message = await channel.receive()
                if message.get("type") == "offer":
                    await self._accept(member, message["sdp"])
        except ChannelClosed:
            pass
        finally:
            del self.members[member.participant_id]
            if member.pc is not None:
                await member.pc.close()

    async def _accept(self, member: Member, sdp: str) -> None:
        layout = parse_offer(sdp, max_slots=self.max_slots)
        pc = member.pc = RTCPeerConnection(build_configuration(IceSettings(),
                                                               member.participant_id))
        slot_tracks = {s.audio_mid: SwitchTrack("audio") for s in layout.slots}
        slot_tracks |= {s.video_mid: SwitchTrack("video") for s in layout.slots}
        publish = []
        for line in layout.lines:
            if line.publish:
                transceiver = pc.addTransceiver(line.kind, direction="recvonly")
                publish.append((line.kind, transceiver))
            else:
                transceiver = pc.addTransceiver(slot_tracks[line.mid], direction="sendonly")
            prefer_codecs(transceiver, line.kind)
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        for kind, transceiver in publish:
            member.tracks[kind] = transceiver.receiver.track
        member.slots = [(s.audio_mid, s.video_mid, slot_tracks[s.audio_mid],
                         slot_tracks[s.video_mid]) for s in layout.slots]
        member.assigned = [None] * len(member.slots)
        await member.channel.send(m.Answer(sdp=pc.localDescription.sdp).model_dump(mode="json"))
        await self._rewire()

    async def _rewire(self) -> None:
        for member in list(self.members.values()):
            others = [o for o in self.members.values() if o is not member and o.tracks]
            changed = False
            for index, other in enumerate(others[:len(member.slots)]):
                if member.assigned[index] is None:
                    _, _, audio, video = member.slots[index]
                    audio.set(self.relay.subscribe(other.tracks["audio"], buffered=False))
                    video.set(self.relay.subscribe(other.tracks["video"], buffered=False))
                    member.assigned[index] = other.participant_id
                    changed = True
            if changed:
                infos = [m.SlotInfo(slot=i, audio_mid=a, video_mid=v, participant=pid,
                                    audio=pid is not None, video=pid is not None)
                         for i, ((a, v, _, _), pid) in enumerate(
                             zip(member.slots, member.assigned, strict=True))]
                with contextlib.suppress(ChannelClosed):
                    await member.channel.send(m.SlotMap(slots=infos).model_dump(mode="json"))

    async def close(self) -> None:
        for member in list(self.members.values()):
            await member.channel.close(1001, "bye")

    def stats(self) -> dict[str, Any]:
        return {}
