from __future__ import annotations

from aiortc.codecs.vpx import VpxPayloadDescriptor, vp8_depayload
from aiortc.rtp import RtpPacket

from rtc.assembler import AudioAssembler, VideoAssembler
from rtc.frames import EncodedFrame
from tests.unit.rtc.harness import video_frames

KEY, DELTA = video_frames()[0], video_frames()[1]


def vp8_packets(frame: bytes, seq: int, timestamp: int, *, parts: int = 3,
                ssrc: int = 7) -> list[RtpPacket]:
    size = -(-len(frame) // parts)
    packets = []
    for i in range(parts):
        descriptor = VpxPayloadDescriptor(partition_start=int(i == 0), partition_id=0,
                                          picture_id=timestamp % 128)
        payload = bytes(descriptor) + frame[i * size:(i + 1) * size]
        packet = RtpPacket(payload_type=97, sequence_number=(seq + i) & 0xFFFF,
                           timestamp=timestamp, ssrc=ssrc, payload=payload,
                           marker=int(i == parts - 1))
        packet._data = vp8_depayload(payload)  # type: ignore[attr-defined]  # as the receiver
        packets.append(packet)
    return packets


class Collect:
    def __init__(self) -> None:
        self.frames: list[EncodedFrame] = []
        self.losses = 0

    def __call__(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)

    def lost(self) -> None:
        self.losses += 1

    def video(self) -> VideoAssembler:
        return VideoAssembler(self, self.lost, max_waiting_frames=3)


def stream(start_seq: int = 100, frames: list[bytes] | None = None) -> list[list[RtpPacket]]:
    out = []
    seq = start_seq
    for index, frame in enumerate(frames or [KEY, DELTA, DELTA, DELTA]):
        out.append(vp8_packets(frame, seq, 3000 * index))
        seq += 3
    return out


def test_a_frame_is_released_at_its_marker_packet() -> None:
    got = Collect()
    assembler = got.video()
    first, second = stream()[:2]
    for packet in first:
        assert assembler.add(packet) == (False, None)  # nothing for aiortc's decoder
    assert [(f.data, f.keyframe, f.timestamp) for f in got.frames] == [(KEY, True, 0)]
    for packet in second:
        assembler.add(packet)
    assert [f.data for f in got.frames] == [KEY, DELTA]
    assert not got.frames[1].keyframe and got.losses == 0


def test_reordered_packets_are_put_back_in_order() -> None:
    got = Collect()
    assembler = got.video()
    first, second = stream()[:2]
    for packet in [first[2], first[0], second[1], first[1], second[0], second[2]]:
        assembler.add(packet)
    assert [f.data for f in got.frames] == [KEY, DELTA]


def test_frames_before_the_first_key_frame_are_dropped() -> None:
    got = Collect()
    assembler = got.video()
    for packets in stream(frames=[DELTA, DELTA, KEY, DELTA]):
        for packet in packets:
            assembler.add(packet)
    assert [f.data for f in got.frames] == [KEY, DELTA]
    assert got.losses == 2


def test_a_hole_is_skipped_and_the_stream_waits_for_a_key_frame() -> None:
    got = Collect()
    assembler = got.video()
    frames = stream(frames=[KEY, DELTA, DELTA, DELTA, DELTA, DELTA, KEY, DELTA])
    for index, packets in enumerate(frames):
        for packet in packets:
            if not (index == 1 and packet.sequence_number == packets[1].sequence_number):
                assembler.add(packet)
    # The key frame, then nothing until the next key frame once the hole is given up.
    assert [f.timestamp for f in got.frames] == [0, 3000 * 6, 3000 * 7]
    assert got.losses >= 1


def test_a_hole_filled_in_time_loses_nothing() -> None:
    got = Collect()
    assembler = got.video()
    frames = stream()
    missing = frames[1][1]
    for packets in frames[:3]:
        for packet in packets:
            if packet is not missing:
                assembler.add(packet)
    assert len(got.frames) == 1
    assembler.add(missing)  # the retransmission
    assert [f.timestamp for f in got.frames] == [0, 3000, 6000]
    assert got.losses == 0


def test_padding_late_duplicates_and_wraparound() -> None:
    got = Collect()
    assembler = got.video()
    frames = stream(start_seq=65533)
    for packet in frames[0]:
        assembler.add(packet)
    padding = RtpPacket(payload_type=97, sequence_number=frames[1][0].sequence_number,
                        timestamp=0, ssrc=7, payload=b"")
    padding._data = b""  # type: ignore[attr-defined]
    assembler.add(padding)
    after = padding.sequence_number + 1
    later = [vp8_packets(DELTA, after + 3 * i, 3000 * (i + 1)) for i in range(3)]
    for packets in later:
        for packet in packets:
            assembler.add(packet)
    assembler.add(frames[0][1])  # a late duplicate
    assert [f.timestamp for f in got.frames] == [0, 3000, 6000, 9000]
    assert got.losses == 0


def test_a_new_ssrc_starts_over_at_a_key_frame() -> None:
    got = Collect()
    assembler = got.video()
    for packet in stream()[0]:
        assembler.add(packet)
    for packet in vp8_packets(DELTA, 5000, 90000, ssrc=8):
        assembler.add(packet)
    for packet in vp8_packets(KEY, 5003, 93000, ssrc=8):
        assembler.add(packet)
    assert [(f.ssrc, f.keyframe) for f in got.frames] == [(7, True), (8, True)]


def opus(seq: int, ssrc: int = 9) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 960, ssrc=ssrc,
                       payload=bytes([seq % 256]) * 3)
    packet._data = packet.payload  # type: ignore[attr-defined]
    return packet


def test_audio_packets_pass_at_once_without_late_duplicates() -> None:
    got = Collect()
    assembler = AudioAssembler(got)
    for seq in [10, 11, 13, 12, 13, 14, 5000]:
        assembler.add(opus(seq))
    # 12 arrived after 13: a forwarder passes audio on at once, so 12 is too late.
    assert [f.timestamp // 960 for f in got.frames] == [10, 11, 13, 14, 5000]
    assert all(f.keyframe and f.kind == "audio" for f in got.frames)
    assembler.add(opus(20, ssrc=10))  # a new stream: sequence numbers start afresh
    assert got.frames[-1].ssrc == 10
