"""Encoded frames from RTP packets, in place of aiortc's jitter buffer.

aiortc's ``JitterBuffer`` releases a frame only when the first packet of the next one arrives
(audio even waits for four more), which adds a frame interval of delay to every forwarded
frame. A forwarder needs no playout buffer: a VP8 frame is complete at its marker packet when
no packet is missing, and every Opus packet is a frame. Reordering is tolerated; a hole that
retransmission does not fill in time is skipped and the stream waits for a key frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket

from rtc.aiortc_internals import depayloaded, vp8_starts_frame
from rtc.frames import EncodedFrame, vp8_is_keyframe

FrameCallback = Callable[[EncodedFrame], None]

# A sequence number this far behind is a restarted stream, not a late packet.
_RESTART_DISTANCE = 1000
_NOTHING: tuple[bool, JitterFrame | None] = (False, None)


def _offset(seq: int, base: int) -> int:
    """Distance from ``base`` forward to ``seq``; negative when ``seq`` is older."""
    delta = (seq - base) & 0xFFFF
    return delta - 0x10000 if delta >= 0x8000 else delta


class AudioAssembler:
    """Every Opus packet is a frame: pass it on at once, dropping late duplicates."""

    def __init__(self, sink: FrameCallback) -> None:
        self._sink = sink
        self._last: int | None = None
        self._ssrc: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        if packet.ssrc == self._ssrc and self._last is not None:
            behind = -_offset(seq, self._last)
            if 0 <= behind < _RESTART_DISTANCE:
                return _NOTHING
        self._ssrc, self._last = packet.ssrc, seq
        data = depayloaded(packet)
        if data:
            self._sink(EncodedFrame("audio", data, packet.timestamp, True, packet.ssrc,
                                    time.monotonic()))
        return _NOTHING


class VideoAssembler:
    """Reassembles VP8 frames; after a loss, drops frames until the next key frame."""

    def __init__(self, sink: FrameCallback, on_loss: Callable[[], None], *,
                 max_waiting_frames: int = 6, capacity: int = 1024) -> None:
        self._sink = sink
        self._on_loss = on_loss
        self._max_waiting_frames = max_waiting_frames
        self._capacity = capacity
        self._pending: dict[int, RtpPacket] = {}
        self._expected: int | None = None
        self._need_key = True
        self._ssrc: int | None = None
        self.frames = 0
        self.dropped = 0

    @property
    def ssrc(self) -> int | None:
        return self._ssrc

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        if packet.ssrc != self._ssrc:
            self._restart(packet.ssrc)
        seq = packet.sequence_number
        if self._expected is not None:
            behind = -_offset(seq, self._expected)
            if behind >= _RESTART_DISTANCE:
                self._restart(packet.ssrc)
            elif behind > 0:
                return _NOTHING
        self._pending[seq] = packet
        if packet.marker or len(self._pending) > 1:
            self._drain()
        if self._stuck():
            self._skip_hole()
            self._drain()
        return _NOTHING

    def _restart(self, ssrc: int) -> None:
        self._pending.clear()
        self._expected = None
        self._need_key = True
        self._ssrc = ssrc

    def _drain(self) -> None:
        while self._pending:
            if self._expected is None and not self._find_start():
                return
            assert self._expected is not None
            found = self._take_frame(self._expected)
            if found is None:
                return
            packets, complete = found
            for p in packets:
                del self._pending[p.sequence_number]
            self._expected = (packets[-1].sequence_number + 1) & 0xFFFF
            if complete:
                self._emit(packets)

    def _find_start(self) -> bool:
        starts = [s for s, p in self._pending.items() if vp8_starts_frame(p.payload)]
        if not starts:
            return False
        base = min(self._pending)
        first = min(starts, key=lambda s: _offset(s, base))
        for s in [s for s in self._pending if _offset(s, first) < 0]:
            del self._pending[s]
        self._expected = first
        return True

    def _take_frame(self, seq: int) -> tuple[list[RtpPacket], bool] | None:
        """Packets to consume from ``seq`` on and whether they form a whole frame.

        None while a packet of the frame is still missing.
        """
        packets: list[RtpPacket] = []
        while (packet := self._pending.get(seq)) is not None:
            if not packets and not packet.payload:
                return [packet], False  # padding between frames
            if not packets and not vp8_starts_frame(packet.payload):
                self._lose()  # the rest of a frame whose start we never saw
                return [packet], False
            if packets and packet.timestamp != packets[0].timestamp:
                self._lose()
                return packets, False
            packets.append(packet)
            if packet.marker:
                return packets, True
            seq = (seq + 1) & 0xFFFF
        return None

    def _emit(self, packets: list[RtpPacket]) -> None:
        data = b"".join(depayloaded(p) for p in packets)
        keyframe = vp8_is_keyframe(data)
        if self._need_key and not keyframe:
            self._lose()
            return
        self._need_key = False
        self.frames += 1
        first = packets[0]
        self._sink(EncodedFrame("video", data, first.timestamp, keyframe, first.ssrc,
                                time.monotonic()))

    def _lose(self) -> None:
        self.dropped += 1
        self._need_key = True
        self._on_loss()

    def _stuck(self) -> bool:
        if len(self._pending) > self._capacity:
            return True
        if len(self._pending) <= self._max_waiting_frames:
            return False
        return len({p.timestamp for p in self._pending.values()}) > self._max_waiting_frames

    def _skip_hole(self) -> None:
        """Give up on the frame at the hole and resume at the next frame start."""
        base = self._expected if self._expected is not None else min(self._pending)
        head = self._pending.get(base)
        stuck_ts = head.timestamp if head is not None else None
        order = sorted(self._pending, key=lambda s: _offset(s, base))
        resume = next((s for s in order if _offset(s, base) > 0
                       and self._pending[s].timestamp != stuck_ts
                       and vp8_starts_frame(self._pending[s].payload)), None)
        for s in order:
            if s == resume:
                break
            del self._pending[s]
        self._expected = resume
        self._lose()
