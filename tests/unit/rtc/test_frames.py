from __future__ import annotations

from rtc.frames import vp8_dimensions, vp8_is_keyframe
from rtc.synthetic import encode_opus, encode_vp8


def test_vp8_key_frames_and_their_size() -> None:
    frames = encode_vp8(80, 64, 3)
    assert [vp8_is_keyframe(f) for f in frames] == [True, False, False]
    assert vp8_dimensions(frames[0]) == (80, 64)
    assert vp8_dimensions(frames[1]) is None
    assert not vp8_is_keyframe(b"")


def test_opus_packets_are_twenty_milliseconds() -> None:
    packets = encode_opus(5)
    assert len(packets) == 5
    assert all(0 < len(p) < 400 for p in packets)
