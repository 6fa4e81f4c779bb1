"""These fail when an aiortc upgrade changes an internal that rtc/aiortc_internals.py relies on.

When one fails: read the new aiortc source of the named function, adapt
rtc/aiortc_internals.py (and rtc/assembler.py, rtc/peer.py), then update the pin and the
fingerprints below.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import inspect
import re
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor, vp8_depayload
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCConfiguration
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPacket, RtcpPsfbPacket, RtpPacket

from rtc import aiortc_internals as internals
from rtc.frames import TIME_BASE
from tests.unit.rtc.harness import video_frames

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[3]
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
# sha256(inspect.getsource(f))[:16] of the aiortc code forwarding depends on, as pinned.
FINGERPRINTS = {
    "RTCRtpReceiver.__init__": "3e3b7b5cefbaac6f",
    "RTCRtpReceiver._handle_rtp_packet": "4e54983d021a6336",
    "RTCRtpReceiver._send_rtcp_pli": "ae74c43d50f6eb7b",
    "RTCRtpSender._handle_rtcp_packet": "a4ee4c7355f8de7a",
    "RTCRtpSender._next_encoded_frame": "89dd9fa4fb33741c",
    "RTCRtpSender._send_keyframe": "26c49629470d1928",
    "RTCPeerConnection.__createTransceiver": "00201d6e03cc00f7",
    "RTCPeerConnection.setRemoteDescription": "42c5e2eb7ca58b5f",
    "Vp8Encoder.pack": "7f5276527a794bfa",
    "OpusEncoder.pack": "124c7eab72fc93cb",
    "VpxPayloadDescriptor.parse": "79619961962f23e6",
    "JitterBuffer.add": "c6cd693611aa3eb4",
}
SOURCES: dict[str, Any] = {
    "RTCRtpReceiver.__init__": RTCRtpReceiver.__init__,
    "RTCRtpReceiver._handle_rtp_packet": RTCRtpReceiver._handle_rtp_packet,
    "RTCRtpReceiver._send_rtcp_pli": RTCRtpReceiver._send_rtcp_pli,
    "RTCRtpSender._handle_rtcp_packet": RTCRtpSender._handle_rtcp_packet,
    "RTCRtpSender._next_encoded_frame": RTCRtpSender._next_encoded_frame,
    "RTCRtpSender._send_keyframe": RTCRtpSender._send_keyframe,
    "RTCPeerConnection.__createTransceiver":
        RTCPeerConnection._RTCPeerConnection__createTransceiver,  # type: ignore[attr-defined]
    "RTCPeerConnection.setRemoteDescription": RTCPeerConnection.setRemoteDescription,
    "Vp8Encoder.pack": Vp8Encoder.pack,
    "OpusEncoder.pack": OpusEncoder.pack,
    "VpxPayloadDescriptor.parse": VpxPayloadDescriptor.parse,
    "JitterBuffer.add": JitterBuffer.add,
}


def test_aiortc_is_the_pinned_version() -> None:
    assert importlib.metadata.version("aiortc") == internals.AIORTC_VERSION
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'"aiortc=={re.escape(internals.AIORTC_VERSION)}"', pyproject)


@pytest.mark.parametrize("name", sorted(FINGERPRINTS))
def test_relied_on_aiortc_code_is_unchanged(name: str) -> None:
    source = inspect.getsource(SOURCES[name])
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == FINGERPRINTS[name], (
        f"aiortc changed {name}: re-check rtc/aiortc_internals.py against it")


class FakeTransport:
    """Just enough of RTCDtlsTransport for a lone sender or receiver."""

    state = "connected"
    _stats_id = "transport"

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def _register_rtp_receiver(self, *args: object) -> None: ...
    def _unregister_rtp_receiver(self, *args: object) -> None: ...
    def _register_rtp_sender(self, *args: object) -> None: ...
    def _unregister_rtp_sender(self, *args: object) -> None: ...

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)


class Recorder:
    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.packets.append(packet)
        return False, None


async def test_the_packet_sink_sees_depayloaded_packets_and_pli_goes_out() -> None:
    transport = FakeTransport()
    receiver = RTCRtpReceiver("video", transport)  # type: ignore[arg-type]
    sink = Recorder()
    internals.install_packet_sink(receiver, sink)
    receiver._set_rtcp_ssrc(1234)
    receiver._track = RemoteStreamTrack("video")  # what setRemoteDescription does
    await receiver.receive(RTCRtpReceiveParameters(codecs=[VP8]))
    try:
        payload = bytes(VpxPayloadDescriptor(partition_start=1, partition_id=0)) + b"\x10abc"
        packet = RtpPacket(payload_type=97, sequence_number=1, timestamp=0, ssrc=55,
                           payload=payload, marker=1)
        await receiver._handle_rtp_packet(packet, arrival_time_ms=0)
        assert sink.packets == [packet]
        assert internals.depayloaded(packet) == b"\x10abc"
        assert internals.vp8_starts_frame(payload)
        assert not internals.vp8_starts_frame(payload[:0] + b"\x00abc")

        await internals.send_pli(receiver, 55)
        (rtcp,) = RtcpPacket.parse(transport.sent[-1])
        assert isinstance(rtcp, RtcpPsfbPacket) and rtcp.fmt == RTCP_PSFB_PLI
        assert rtcp.media_ssrc == 55
    finally:
        await receiver.stop()


def test_depayloaded_fails_loudly_without_receiver_data() -> None:
    with pytest.raises(internals.InternalsChanged):
        internals.depayloaded(RtpPacket())


class OnePacket(MediaStreamTrack):
    kind = "video"

    async def recv(self) -> av.Packet[Any]:
        packet = av.Packet(video_frames()[0])
        packet.pts = 3000
        packet.time_base = TIME_BASE["video"]
        return packet


@pytest.mark.parametrize("fmt", [RTCP_PSFB_PLI, RTCP_PSFB_FIR])
async def test_key_frame_requests_reach_our_callback(fmt: int) -> None:
    sender = RTCRtpSender(OnePacket(), FakeTransport())  # type: ignore[arg-type]
    asked: list[bool] = []
    internals.on_keyframe_request(sender, lambda: asked.append(True))
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc))
    assert asked == [True]


async def test_the_sender_packs_av_packets_without_encoding() -> None:
    sender = RTCRtpSender(OnePacket(), FakeTransport())  # type: ignore[arg-type]
    encoded = await sender._next_encoded_frame(VP8)
    assert encoded is not None and encoded.timestamp == 3000
    assert b"".join(vp8_depayload(p) for p in encoded.payloads) == video_frames()[0]


async def test_stream_id_names_the_msid() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        transceiver = pc.addTransceiver(OnePacket(), direction="sendonly")
        internals.set_stream_id(transceiver.sender, "slot3")
        offer = await pc.createOffer()
        assert "a=msid:slot3 " in offer.sdp
    finally:
        await pc.close()
        await asyncio.sleep(0)
