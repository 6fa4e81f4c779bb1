"""Encoded media frames as they travel from a publisher to its subscribers."""

from __future__ import annotations

import fractions
from dataclasses import dataclass
from typing import Literal

Kind = Literal["audio", "video"]
KINDS: tuple[Kind, ...] = ("audio", "video")

# RTP clock rates of Opus and VP8, and the step used when a stream's timeline restarts.
CLOCK_RATE: dict[Kind, int] = {"audio": 48000, "video": 90000}
TIME_BASE: dict[Kind, fractions.Fraction] = {
    kind: fractions.Fraction(1, rate) for kind, rate in CLOCK_RATE.items()
}
DEFAULT_STEP: dict[Kind, int] = {"audio": 960, "video": 3000}

_VP8_START_CODE = b"\x9d\x01\x2a"


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded frame: a VP8 picture or an Opus packet."""

    kind: Kind
    data: bytes
    timestamp: int
    keyframe: bool
    ssrc: int
    # time.monotonic() when the frame's last packet was handed to us.
    arrival: float


def vp8_is_keyframe(data: bytes) -> bool:
    """The P bit of the VP8 frame tag (RFC 6386 section 9.1) is 0 on key frames."""
    return bool(data) and not data[0] & 1


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header, or None for other frames."""
    if len(data) < 10 or not vp8_is_keyframe(data) or data[3:6] != _VP8_START_CODE:
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height
