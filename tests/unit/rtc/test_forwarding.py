from __future__ import annotations

import asyncio
import time

import pytest
from aiortc.mediastreams import MediaStreamError

from rtc.forwarding import Fanout, ForwardTrack
from rtc.frames import EncodedFrame, Kind

pytestmark = pytest.mark.anyio


def frame(timestamp: int, *, key: bool = False, kind: Kind = "video",
          ssrc: int = 1) -> EncodedFrame:
    return EncodedFrame(kind, bytes([timestamp % 256]), timestamp, key or kind == "audio", ssrc,
                        time.monotonic())


class Plis:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def __call__(self, ssrc: int) -> None:
        self.sent.append(ssrc)


async def test_video_waits_for_a_key_frame_and_keeps_its_order() -> None:
    fanout = Fanout("video")
    track = ForwardTrack("video", capacity=4)
    track.bind(fanout)
    for f in [frame(0), frame(3000, key=True), frame(6000)]:
        fanout.publish(f)
    first, second = await track.recv(), await track.recv()
    assert (bytes(first), bytes(second)) == (bytes([3000 % 256]), bytes([6000 % 256]))
    assert track.dropped == 1 and track.forwarded == 2
    assert second.pts is not None and first.pts is not None
    assert second.pts - first.pts == 3000
    assert len(track.latency) == 1  # recorded once the first frame went out


async def test_overflow_drops_video_until_the_next_key_frame_and_asks_for_one() -> None:
    plis = Plis()
    fanout = Fanout("video", plis, min_interval=0.0)
    track = ForwardTrack("video", capacity=2)
    track.bind(fanout)
    fanout.publish(frame(0, key=True))
    for ts in (3000, 6000, 9000, 12000):
        fanout.publish(frame(ts))
    await asyncio.sleep(0)
    assert plis.sent  # upstream key frame request
    fanout.publish(frame(15000, key=True))
    fanout.publish(frame(18000))
    got = [await track.recv() for _ in range(2)]
    # 0 and 3000 queued and dropped on overflow, then 6000, 9000 and 12000 (no key frame).
    assert track.dropped == 5
    assert [bytes(p) for p in got] == [frame(15000).data, frame(18000).data]


async def test_audio_overflow_drops_the_oldest() -> None:
    fanout = Fanout("audio")
    track = ForwardTrack("audio", capacity=3)
    track.bind(fanout)
    for ts in range(0, 960 * 5, 960):
        fanout.publish(frame(ts, kind="audio"))
    got = [bytes(await track.recv()) for _ in range(3)]
    assert got == [bytes([(960 * i) % 256]) for i in (2, 3, 4)]
    assert track.dropped == 2


async def test_timeline_stays_monotonic_when_the_source_changes() -> None:
    one, two = Fanout("audio"), Fanout("audio")
    track = ForwardTrack("audio", capacity=10)
    track.bind(one)
    one.publish(frame(50_000, kind="audio"))
    one.publish(frame(50_960, kind="audio"))
    pts = [(await track.recv()).pts for _ in range(2)]
    one.publish(frame(51_920, kind="audio"))
    track.bind(two)  # what the old source queued is never sent
    two.publish(frame(7, kind="audio", ssrc=2))
    two.publish(frame(1927, kind="audio", ssrc=2))
    pts += [(await track.recv()).pts for _ in range(2)]
    assert pts == [960, 1920, 2880, 4800]
    # The old source no longer reaches the track.
    one.publish(frame(51_920, kind="audio"))
    assert one.sinks == ()


async def test_bind_asks_the_new_source_for_a_key_frame_at_a_limited_rate() -> None:
    plis = Plis()
    fanout = Fanout("video", plis, min_interval=0.2)
    fanout.publish(frame(0, key=True, ssrc=42))
    tracks = [ForwardTrack("video", capacity=4) for _ in range(5)]
    for track in tracks:
        track.bind(fanout)
        track.keyframe_requested()
    await asyncio.sleep(0.05)
    assert plis.sent == [42]
    await asyncio.sleep(0.3)
    assert plis.sent == [42, 42]  # the coalesced request, sent when the interval ended
    fanout.close()
    fanout.request_keyframe()
    await asyncio.sleep(0.25)
    assert plis.sent == [42, 42]


async def test_a_stopped_track_ends_its_sender() -> None:
    track = ForwardTrack("video", capacity=4)
    fanout = Fanout("video")
    track.bind(fanout)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting
    assert fanout.sinks == ()
