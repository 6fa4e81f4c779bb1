"""One participant's RTCPeerConnection on the server: its published tracks are tapped before
any decoder, and its receive slots are fed with forwarded packets that are never re-encoded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from rtc import aiortc_internals as internals
from rtc.assembler import AudioAssembler, VideoAssembler
from rtc.forwarding import Fanout, ForwardTrack
from rtc.frames import Kind
from rtc.offer import BadOffer, parse_offer
from rtc.settings import RtcSettings

logger = logging.getLogger(__name__)

_CODECS: dict[Kind, tuple[str, ...]] = {"audio": ("audio/opus",),
                                        "video": ("video/vp8", "video/rtx")}


def prefer_codecs(transceiver: RTCRtpTransceiver, kind: Kind) -> None:
    """Negotiate Opus and VP8 only: forwarding needs every peer on the same codec."""
    wanted = _CODECS[kind]
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs
              if c.mimeType.lower() in wanted]
    transceiver.setCodecPreferences(codecs)


@dataclass
class SlotTracks:
    index: int
    audio_mid: str
    video_mid: str
    audio: ForwardTrack
    video: ForwardTrack

    def track(self, kind: Kind) -> ForwardTrack:
        return self.audio if kind == "audio" else self.video


class NoCandidates(Exception):
    """The server gathered no ICE candidate, so no connection can ever be made.

    With ``relay_only`` this means the TURN server refused or did not answer the allocation
    (a wrong or rotated secret, expired credentials, coturn down).
    """


class Peer:
    def __init__(self, participant_id: str, configuration: RTCConfiguration,
                 settings: RtcSettings, on_state: Callable[[Peer, str], None]) -> None:
        self.participant_id = participant_id
        self.pc = RTCPeerConnection(configuration)
        self.audio = Fanout("audio")
        self.video = Fanout("video", self._send_pli, min_interval=settings.keyframe_interval)
        self.slots: list[SlotTracks] = []
        self.video_assembler: VideoAssembler | None = None
        self._settings = settings
        self._video_receiver: RTCRtpReceiver | None = None
        self._on_state = on_state
        self.closed = False
        self.pc.on("connectionstatechange", self._state_changed)

    def fanout(self, kind: Kind) -> Fanout:
        return self.audio if kind == "audio" else self.video

    async def accept(self, offer_sdp: str) -> str:
        """Answer the client's offer; raises BadOffer with a reason for the client."""
        layout = parse_offer(offer_sdp, max_slots=self._settings.max_slots)
        slot_of: dict[str, SlotTracks] = {}
        for index, mids in enumerate(layout.slots):
            tracks = SlotTracks(index, mids.audio_mid, mids.video_mid,
                                ForwardTrack("audio", capacity=self._settings.audio_queue),
                                ForwardTrack("video", capacity=self._settings.video_queue))
            self.slots.append(tracks)
            slot_of[mids.audio_mid] = slot_of[mids.video_mid] = tracks
        # Transceivers made in m-line order are matched to the offer's m-lines in that order.
        for line in layout.lines:
            if line.publish:
                transceiver = self.pc.addTransceiver(line.kind, direction="recvonly")
                self._tap(line.kind, transceiver.receiver)
            else:
                slot = slot_of[line.mid]
                track = slot.track(line.kind)
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                internals.on_keyframe_request(transceiver.sender, track.keyframe_requested)
                internals.set_stream_id(transceiver.sender, f"slot{slot.index}")
            prefer_codecs(transceiver, line.kind)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:  # aiortc raises ValueError, OperationError, AssertionError...
            logger.info("offer of %s rejected: %r", self.participant_id, exc)
            raise BadOffer("offer could not be negotiated") from exc
        answer: str = self.pc.localDescription.sdp
        # aiortc has gathered by now. Without a candidate it never even starts ICE, so the
        # connection would stay "new" for ever instead of failing.
        if "a=candidate:" not in answer:
            raise NoCandidates(f"no ICE candidate for {self.participant_id}")
        return answer

    def _tap(self, kind: Kind, receiver: RTCRtpReceiver) -> None:
        if kind == "audio":
            internals.install_packet_sink(receiver, AudioAssembler(self.audio.publish))
        else:
            self._video_receiver = receiver
            self.video_assembler = VideoAssembler(self.video.publish, self.video.request_keyframe)
            internals.install_packet_sink(receiver, self.video_assembler)

    async def _send_pli(self, ssrc: int) -> None:
        if self._video_receiver is not None and not self.closed:
            await internals.send_pli(self._video_receiver, ssrc)

    async def add_candidate(self, candidate: str, sdp_mid: str | None,
                            sdp_mline_index: int | None) -> None:
        """A trickled remote candidate; raises ValueError when it cannot be parsed."""
        if not candidate:
            await self.pc.addIceCandidate(None)  # end of candidates
            return
        try:
            parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        except (AssertionError, ValueError, IndexError) as exc:
            raise ValueError("candidate cannot be parsed") from exc
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = sdp_mline_index
        if sdp_mid is None and sdp_mline_index is None:
            parsed.sdpMLineIndex = 0
        await self.pc.addIceCandidate(parsed)

    def _state_changed(self) -> None:
        self._on_state(self, self.pc.connectionState)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.audio.close()
        self.video.close()
        for slot in self.slots:
            slot.audio.stop()
            slot.video.stop()
        await self.pc.close()
