"""Every aiortc internal that rtc/ touches, in one place.

aiortc always decodes what it receives and encodes what it sends. Forwarding without
re-encoding needs four private hooks, all checked by tests/unit/rtc/test_aiortc_internals.py
against the pinned version (pyproject: ``aiortc==1.16.0``):

* the receiver's jitter buffer (``RTCRtpReceiver.__jitter_buffer``) is replaced by our frame
  assembler, which sees every depayloaded RTP packet before the decoder queue would;
* ``RtpPacket._data`` holds the depayloaded bytes the receiver computed for that packet;
* ``RTCRtpSender._send_keyframe`` is what a subscriber's PLI/FIR calls; with ``av.Packet``
  frames the sender only packetizes (``encoder.pack``), so we redirect it upstream;
* ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)`` asks the publisher for a key frame;
* ``RTCRtpSender._stream_id`` names the msid stream, so a slot's audio and video share one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

AIORTC_VERSION = "1.16.0"

_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


class PacketSink(Protocol):
    """What the receiver calls for every RTP packet, in place of its jitter buffer."""

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]: ...


class InternalsChanged(RuntimeError):
    """aiortc no longer has an internal that forwarding relies on."""


def install_packet_sink(receiver: RTCRtpReceiver, sink: PacketSink) -> None:
    """Route the receiver's packets to ``sink``; returning ``(False, None)`` feeds no decoder."""
    if not isinstance(getattr(receiver, _JITTER_BUFFER, None), JitterBuffer):
        raise InternalsChanged("RTCRtpReceiver has no jitter buffer to replace")
    setattr(receiver, _JITTER_BUFFER, sink)


def depayloaded(packet: RtpPacket) -> bytes:
    """The codec payload without its RTP payload descriptor."""
    data = getattr(packet, "_data", None)
    if not isinstance(data, bytes):
        raise InternalsChanged("RtpPacket._data was not set by the receiver")
    return data


def vp8_starts_frame(payload: bytes) -> bool:
    """True when this RTP payload carries the first bytes of a VP8 frame."""
    try:
        descriptor, _ = VpxPayloadDescriptor.parse(payload)
    except ValueError:
        return False
    return bool(descriptor.partition_start) and descriptor.partition_id == 0


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote end sends PLI or FIR for this sender."""
    if not callable(getattr(RTCRtpSender, "_send_keyframe", None)):
        raise InternalsChanged("RTCRtpSender._send_keyframe is gone")
    setattr(sender, "_send_keyframe", callback)  # noqa: B010 - instance override of a method


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send a Picture Loss Indication to the publisher of ``media_ssrc``."""
    await receiver._send_rtcp_pli(media_ssrc)


def set_stream_id(sender: RTCRtpSender, stream_id: str) -> None:
    """Name the msid stream of ``sender``; the browser syncs audio and video of one stream."""
    if not isinstance(getattr(sender, "_stream_id", None), str):
        raise InternalsChanged("RTCRtpSender._stream_id is gone")
    sender._stream_id = stream_id
