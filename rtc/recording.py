"""Recording a participant: the forwarded VP8 and Opus packets muxed into WebM, never decoded.

The file's SHA-256 is returned so the portal can enter it in the audit chain. Recording needs
every party's consent; checking it is the portal's job, before it calls Room.start_recording.
"""

from __future__ import annotations

import asyncio
import fractions
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
from av.container import OutputContainer

from rtc.forwarding import Fanout
from rtc.frames import CLOCK_RATE, EncodedFrame, Kind, vp8_dimensions

logger = logging.getLogger(__name__)

_MS = fractions.Fraction(1, 1000)
# Audio that arrives before the first video key frame is held this long, then the file is
# started without video (a participant without a camera).
_VIDEO_WAIT = 2.0


@dataclass(frozen=True)
class Recording:
    participant_id: str
    path: Path
    sha256: str
    started_at: datetime
    ended_at: datetime
    video_frames: int
    audio_frames: int


class _Timeline:
    """Milliseconds since the recording started, from RTP timestamps, re-anchored whenever
    the source restarts (a reconnect brings a new SSRC and timestamp origin)."""

    def __init__(self, kind: Kind, started: float) -> None:
        self._clock = CLOCK_RATE[kind]
        self._started = started
        self._ssrc: int | None = None
        self._origin = 0
        self._anchor = 0
        self.last = -1

    def pts(self, frame: EncodedFrame) -> int:
        delta = (frame.timestamp - self._origin) & 0xFFFFFFFF
        if frame.ssrc != self._ssrc or delta > 60 * 60 * self._clock:
            self._ssrc, self._origin, delta = frame.ssrc, frame.timestamp, 0
            self._anchor = int((frame.arrival - self._started) * 1000)
        value = max(self._anchor + delta * 1000 // self._clock, self.last + 1)
        self.last = value
        return value


class _Sink:
    def __init__(self, recorder: WebmRecorder, kind: Kind) -> None:
        self._recorder = recorder
        self._kind = kind

    def push(self, frame: EncodedFrame) -> None:
        self._recorder.write(self._kind, frame)


class WebmRecorder:
    def __init__(self, participant_id: str, path: Path) -> None:
        self.participant_id = participant_id
        self.path = path
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()
        self._sinks = {kind: _Sink(self, kind) for kind in ("audio", "video")}
        self._sources: dict[str, Fanout | None] = {"audio": None, "video": None}
        self._timelines = {kind: _Timeline(kind, self._started) for kind in ("audio", "video")}
        self._container: OutputContainer | None = None
        self._streams: dict[str, av.stream.Stream] = {}
        self._held: list[EncodedFrame] = []
        self._first_audio: float | None = None
        self.counts = {"audio": 0, "video": 0}
        self.failed = False

    def bind(self, kind: Kind, source: Fanout | None) -> None:
        old = self._sources[kind]
        if source is old:
            return
        if old is not None:
            old.detach(self._sinks[kind])
        self._sources[kind] = source
        if source is not None:
            source.attach(self._sinks[kind])
            source.request_keyframe()

    def write(self, kind: Kind, frame: EncodedFrame) -> None:
        if self.failed:
            return
        try:
            self._write(kind, frame)
        except (av.FFmpegError, OSError, ValueError):
            logger.exception("recording of %s failed", self.participant_id)
            self.failed = True

    def _write(self, kind: Kind, frame: EncodedFrame) -> None:
        if self._container is None:
            if kind == "video" and frame.keyframe and vp8_dimensions(frame.data):
                self._open(vp8_dimensions(frame.data))
            elif kind == "audio":
                self._first_audio = self._first_audio or frame.arrival
                self._held.append(frame)
                if frame.arrival - self._first_audio < _VIDEO_WAIT:
                    return
                self._open(None)
            else:
                return
            held, self._held = self._held, []
            for early in held:
                self._mux("audio", early)
            if kind == "audio":
                return
        if kind in self._streams:
            self._mux(kind, frame)

    def _open(self, video_size: tuple[int, int] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), mode="w", format="webm")
        if video_size is not None:
            video = container.add_stream("libvpx", rate=30)
            video.width, video.height = video_size
            video.pix_fmt = "yuv420p"
            video.time_base = _MS
            self._streams["video"] = video
        audio = container.add_stream("libopus", rate=48000)
        audio.time_base = _MS
        self._streams["audio"] = audio
        self._container = container

    def _mux(self, kind: Kind, frame: EncodedFrame) -> None:
        assert self._container is not None
        packet = av.Packet(frame.data)
        packet.stream = self._streams[kind]
        packet.pts = packet.dts = self._timelines[kind].pts(frame)
        packet.time_base = _MS
        if frame.keyframe and kind == "video":
            packet.is_keyframe = True
        self._container.mux(packet)
        self.counts[kind] += 1

    async def stop(self) -> Recording | None:
        """Close the file and hash it; None when nothing was recorded."""
        for kind in ("audio", "video"):
            self.bind(kind, None)
        container, self._container = self._container, None
        if container is None:
            return None
        path = self.path
        digest = await asyncio.to_thread(_close_and_hash, container, path)
        return Recording(self.participant_id, path, digest, self.started_at, datetime.now(UTC),
                         self.counts["video"], self.counts["audio"])


def _close_and_hash(container: OutputContainer, path: Path) -> str:
    container.close()
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()
