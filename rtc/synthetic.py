"""Pre-encoded VP8 and Opus packets, encoded once, for headless clients and benchmarks."""

from __future__ import annotations

import fractions
import random

import av

from rtc.frames import vp8_is_keyframe


def encode_vp8(width: int, height: int, count: int, *, fps: int = 30,
               bitrate: int = 500_000, noise: float = 0.0, seed: int = 1) -> list[bytes]:
    """``count`` VP8 frames with one key frame, the first; ``noise`` (0..1) is the share of
    each picture that changes randomly, which drives the encoded size towards ``bitrate``."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.bit_rate = bitrate
    codec.time_base = fractions.Fraction(1, fps)
    codec.framerate = fractions.Fraction(fps)
    codec.gop_size = 100_000
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
                     "minrate": str(bitrate), "maxrate": str(bitrate),
                     "bufsize": str(bitrate)}
    rng = random.Random(seed)
    luma = width * height
    noisy = int(luma * noise)
    out: list[bytes] = []
    for index in range(count):
        row = bytes((x + 4 * index) % 256 for x in range(width))
        plane = bytearray(row * height)
        if noisy:
            start = (index * width) % max(1, luma - noisy)
            plane[start:start + noisy] = rng.randbytes(noisy)
        frame = av.VideoFrame(width, height, "yuv420p")
        _fill(frame.planes[0], bytes(plane), width, height)
        _fill(frame.planes[1], bytes([128]) * (luma // 4), width // 2, height // 2)
        _fill(frame.planes[2], bytes([(index * 3) % 256]) * (luma // 4), width // 2, height // 2)
        frame.pts = index
        frame.time_base = codec.time_base
        out.extend(bytes(p) for p in codec.encode(frame))
    out.extend(bytes(p) for p in codec.encode(None))
    if not out or not vp8_is_keyframe(out[0]):
        raise RuntimeError("the VP8 encoder did not start with a key frame")
    return out[:count]


def _fill(plane: av.video.plane.VideoPlane, data: bytes, width: int, height: int) -> None:
    """Copy tightly packed rows into a plane whose rows may be padded."""
    pad = bytes(plane.line_size - width)
    plane.update(b"".join(data[y * width:(y + 1) * width] + pad for y in range(height)))


def encode_opus(count: int, *, bitrate: int = 32_000) -> list[bytes]:
    """``count`` Opus packets of 20 ms of a quiet tone."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = bitrate
    codec.time_base = fractions.Fraction(1, 48000)
    out: list[bytes] = []
    samples = 960
    for index in range(count + 4):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        wave = bytes(((i * 7 + index) % 64) for i in range(samples * 4))
        frame.planes[0].update(wave)
        frame.sample_rate = 48000
        frame.pts = index * samples
        frame.time_base = codec.time_base
        out.extend(bytes(p) for p in codec.encode(frame))
    return out[:count]
