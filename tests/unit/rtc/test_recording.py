from __future__ import annotations

import hashlib
import time
from pathlib import Path

import av
import pytest

from rtc.forwarding import Fanout
from rtc.frames import EncodedFrame
from rtc.recording import WebmRecorder, _Timeline
from tests.unit.rtc.harness import audio_frames, video_frames

pytestmark = pytest.mark.anyio


def feed(recorder: WebmRecorder, *, video: bool, seconds: float) -> None:
    audio, pictures = Fanout("audio"), Fanout("video")
    recorder.bind("audio", audio)
    recorder.bind("video", pictures)
    start = time.monotonic()
    for index in range(int(seconds * 50)):
        at = start + index * 0.02
        audio.publish(EncodedFrame("audio", audio_frames()[index % 50], index * 960, True, 1, at))
        if video and index % 2 == 0:
            n = index // 2
            data = video_frames()[n % len(video_frames())]
            pictures.publish(EncodedFrame("video", data, n * 3000, n % 60 == 0, 2, at))


async def test_audio_and_video_are_muxed_unchanged(tmp_path: Path) -> None:
    recorder = WebmRecorder("alice", tmp_path / "sub" / "alice.webm")
    feed(recorder, video=True, seconds=2)
    recording = await recorder.stop()
    assert recording is not None
    assert recording.sha256 == hashlib.sha256(recording.path.read_bytes()).hexdigest()
    assert (recording.video_frames, recording.audio_frames) == (50, 100)
    with av.open(str(recording.path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("vp8", 64, 48)
        packets = [bytes(p) for p in container.demux(video) if p.size]
    assert packets == [video_frames()[n % 60] for n in range(50)]


async def test_without_a_camera_the_file_has_audio_only(tmp_path: Path) -> None:
    recorder = WebmRecorder("bob", tmp_path / "bob.webm")
    feed(recorder, video=False, seconds=3)
    recording = await recorder.stop()
    assert recording is not None and recording.video_frames == 0
    with av.open(str(recording.path)) as container:
        assert [s.type for s in container.streams] == ["audio"]
        assert sum(1 for _ in container.decode(audio=0)) == 150


async def test_nothing_received_means_no_file(tmp_path: Path) -> None:
    recorder = WebmRecorder("carol", tmp_path / "carol.webm")
    assert await recorder.stop() is None
    assert not (tmp_path / "carol.webm").exists()


def test_timeline_is_monotonic_across_a_reconnect() -> None:
    timeline = _Timeline("video", started=100.0)
    first = [timeline.pts(EncodedFrame("video", b"", ts, False, 1, 100.5))
             for ts in (90_000, 93_000)]
    assert first == [500, 533]
    # A new connection: new SSRC and timestamp origin, arriving one second later.
    again = timeline.pts(EncodedFrame("video", b"", 7, False, 2, 101.5))
    assert again == 1500
    assert timeline.pts(EncodedFrame("video", b"", 7 + 3000, False, 2, 101.5)) == 1533
