"""A headless participant on aiortc: publishes pre-encoded packets, counts received frames
without decoding them. Used by the tests and by bench/video.py; it follows the client rules
of rtc/README.md as a browser must."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Sequence
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc import aiortc_internals as internals
from rtc.assembler import AudioAssembler, VideoAssembler
from rtc.channel import ChannelClosed, SignalingChannel
from rtc.frames import DEFAULT_STEP, TIME_BASE, EncodedFrame, Kind
from rtc.ice import BUNDLE_POLICY
from rtc.peer import prefer_codecs


class PacketTrack(MediaStreamTrack):
    """Replays encoded frames in real time as ``av.Packet``s; frame 0 must be a key frame."""

    def __init__(self, kind: Kind, frames: Sequence[bytes], *, interval: float) -> None:
        super().__init__()
        self.kind = kind
        self._kind: Kind = kind
        self._frames = frames
        self._interval = interval
        self._index = 0
        self._count = 0
        self._start: float | None = None
        self.running = asyncio.Event()
        self.running.set()
        self.sent = 0
        self.keyframe_requests = 0

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._index = 0

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if not self.running.is_set():
            await self.running.wait()
            self._start = None
        now = time.monotonic()
        if self._start is None or now - (self._start + self._count * self._interval) > 1.0:
            self._start, self._count = now, 0  # first frame, or too far behind: no burst
        else:
            self._count += 1
            delay = self._start + self._count * self._interval - now
            if delay > 0:
                await asyncio.sleep(delay)
        packet = av.Packet(self._frames[self._index])
        self._index = (self._index + 1) % len(self._frames)
        self.sent += 1
        packet.pts = self.sent * DEFAULT_STEP[self._kind]
        packet.time_base = TIME_BASE[self._kind]
        return packet


class HeadlessClient:
    def __init__(self, channel: SignalingChannel, *, slots: int,
                 audio: PacketTrack | None = None, video: PacketTrack | None = None,
                 keep_frames: bool = False) -> None:
        self.channel = channel
        self.slot_count = slots
        self.audio = audio
        self.video = video
        self.messages: list[dict[str, Any]] = []
        self.slot_of: dict[str, tuple[int, Kind]] = {}
        self.slot_owner: dict[int, str | None] = {}
        self.by_slot: collections.Counter[tuple[int, Kind]] = collections.Counter()
        self.by_participant: collections.Counter[tuple[str, Kind]] = collections.Counter()
        self.frames_seen: dict[str, list[bytes]] | None = {} if keep_frames else None
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.pc: RTCPeerConnection | None = None
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self._receivers: dict[int, RTCRtpReceiver] = {}
        self._last_pli: dict[int, float] = {}

    # Signaling.

    async def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                message = await self.channel.receive()
                if message.get("type") == "slots":
                    for info in message["slots"]:
                        self.slot_owner[info["slot"]] = info["participant"]
                async with self._changed:
                    self.messages.append(message)
                    self._changed.notify_all()
        except ChannelClosed as closed:
            self.close_code = getattr(self.channel, "close_code", None)
            self.close_reason = str(closed) if closed.args else None
        async with self._changed:
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        return self._reader is not None and self._reader.done()

    async def send(self, message: dict[str, Any]) -> None:
        await self.channel.send(message)

    def last(self, kind: str) -> dict[str, Any] | None:
        return next((msg for msg in reversed(self.messages) if msg.get("type") == kind), None)

    def latest(self, kind: str) -> dict[str, Any]:
        """The last message of ``kind``; an empty dict before the first."""
        return self.last(kind) or {}

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate() or self.closed)
        await asyncio.wait_for(waiting(), timeout)
        if not predicate():
            raise AssertionError(f"connection closed: {self.close_code} {self.close_reason}")

    async def wait_message(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        await self.wait_for(lambda: self.last(kind) is not None, timeout)
        found = self.last(kind)
        assert found is not None
        return found

    # Media.

    async def connect_media(self, timeout: float = 10.0) -> None:
        """Offer the publishing tracks and ``slots`` receive slots, then apply the answer."""
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[],
                                                           bundlePolicy=BUNDLE_POLICY))
        for kind, track in (("audio", self.audio), ("video", self.video)):
            transceiver = pc.addTransceiver(track or kind,
                                            direction="sendonly" if track else "inactive")
            prefer_codecs(transceiver, kind)  # type: ignore[arg-type]
            if kind == "video" and track is not None:
                internals.on_keyframe_request(transceiver.sender, track.request_keyframe)
        pending: list[tuple[int, Kind, Any]] = []
        for index in range(self.slot_count):
            for slot_kind in ("audio", "video"):
                kind_: Kind = "audio" if slot_kind == "audio" else "video"
                transceiver = pc.addTransceiver(kind_, direction="recvonly")
                prefer_codecs(transceiver, kind_)
                self._tap(index, kind_, transceiver.receiver)
                pending.append((index, kind_, transceiver))
        answers_before = sum(1 for msg in self.messages if msg.get("type") == "answer")
        await pc.setLocalDescription(await pc.createOffer())
        for index, kind_, transceiver in pending:
            self.slot_of[transceiver.mid] = (index, kind_)
        await self.send({"type": "offer", "sdp": pc.localDescription.sdp})
        await self.wait_for(lambda: sum(1 for msg in self.messages
                                        if msg.get("type") == "answer") > answers_before,
                            timeout)
        answer = self.last("answer")
        assert answer is not None
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

    def _tap(self, index: int, kind: Kind, receiver: RTCRtpReceiver) -> None:
        def sink(frame: EncodedFrame) -> None:
            self.by_slot[index, kind] += 1
            owner = self.slot_owner.get(index)
            if owner is not None:
                self.by_participant[owner, kind] += 1
                if self.frames_seen is not None:
                    self.frames_seen.setdefault(f"{owner}/{kind}", []).append(frame.data)

        self._receivers[index] = receiver
        if kind == "audio":
            internals.install_packet_sink(receiver, AudioAssembler(sink))
        else:
            assembler = VideoAssembler(sink, lambda: self._ask_keyframe(receiver, assembler))
            internals.install_packet_sink(receiver, assembler)

    def _ask_keyframe(self, receiver: RTCRtpReceiver, assembler: VideoAssembler) -> None:
        ssrc, now = assembler.ssrc, time.monotonic()
        if ssrc is not None and now - self._last_pli.get(ssrc, -1.0) >= 0.5:
            self._last_pli[ssrc] = now
            asyncio.get_running_loop().create_task(internals.send_pli(receiver, ssrc))

    def total(self, kind: Kind | None = None) -> int:
        return sum(n for (_, k), n in self.by_slot.items() if kind is None or k == kind)

    async def drop_media(self) -> None:
        """Lose the peer connection (as a network drop does) but keep signaling."""
        if self.pc is not None:
            await self.pc.close()
            self.pc = None

    async def close(self) -> None:
        await self.drop_media()
        await self.channel.close(1000, "bye")
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=5)
