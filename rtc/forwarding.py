"""Fan-out of one publisher's encoded frames to subscriber tracks, with key-frame plumbing."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc.frames import DEFAULT_STEP, TIME_BASE, EncodedFrame, Kind

PliSender = Callable[[int], Coroutine[Any, Any, None]]


class FrameSink(Protocol):
    def push(self, frame: EncodedFrame) -> None: ...


class Fanout:
    """One publisher's audio or video: frames go to every attached sink.

    Key-frame requests are coalesced: at most one PLI per ``min_interval``; a request inside
    the interval is sent when it ends, so a late subscriber never waits for a natural key frame.
    """

    def __init__(self, kind: Kind, send_pli: PliSender | None = None, *,
                 min_interval: float = 0.5) -> None:
        self.kind = kind
        self.ssrc: int | None = None
        self.frames = 0
        self.pli_sent = 0
        self._send_pli = send_pli
        self._min_interval = min_interval
        self._sinks: list[FrameSink] = []
        self._last_pli = -min_interval
        self._deferred: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def attach(self, sink: FrameSink) -> None:
        if sink not in self._sinks:
            self._sinks.append(sink)

    def detach(self, sink: FrameSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    @property
    def sinks(self) -> tuple[FrameSink, ...]:
        return tuple(self._sinks)

    def publish(self, frame: EncodedFrame) -> None:
        self.ssrc = frame.ssrc
        self.frames += 1
        for sink in tuple(self._sinks):
            sink.push(frame)

    def request_keyframe(self) -> None:
        if self.kind != "video" or self._send_pli is None or self.closed:
            return
        wait = self._last_pli + self._min_interval - time.monotonic()
        if wait <= 0:
            self._pli_now()
        elif self._deferred is None:
            self._deferred = asyncio.get_running_loop().call_later(wait, self._pli_now)

    def _pli_now(self) -> None:
        self._deferred = None
        if self.ssrc is None or self._send_pli is None or self.closed:
            return  # nothing received yet: the first frames of a stream are key frames
        self._last_pli = time.monotonic()
        self.pli_sent += 1
        task = asyncio.get_running_loop().create_task(self._send_pli(self.ssrc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        self.closed = True
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None
        self._sinks.clear()


class ForwardTrack(MediaStreamTrack):
    """An outgoing track whose ``recv`` hands ``av.Packet``s to RTCRtpSender, which only packs.

    The queue is bounded: on overflow video drops everything until the next key frame (and
    asks for one), audio drops the oldest packets. Timestamps are re-based so the outgoing
    timeline stays monotonic when the source changes (slot reassigned, publisher reconnected).
    """

    def __init__(self, kind: Kind, *, capacity: int, latency_samples: int = 512) -> None:
        super().__init__()
        self.kind = kind
        self._kind: Kind = kind
        self._capacity = capacity
        self._queue: collections.deque[EncodedFrame] = collections.deque()
        self._wakeup = asyncio.Event()
        self._source: Fanout | None = None
        self._need_key = kind == "video"
        self._last_in: int | None = None
        self._out_pts = 0
        self._pending_latency: float | None = None
        self.forwarded = 0
        self.dropped = 0
        self.latency: collections.deque[float] = collections.deque(maxlen=latency_samples)

    @property
    def source(self) -> Fanout | None:
        return self._source

    def bind(self, source: Fanout | None) -> None:
        """Carry ``source`` from now on (None: carry nothing)."""
        if source is self._source:
            return
        if self._source is not None:
            self._source.detach(self)
        self._source = source
        self._queue.clear()
        self._last_in = None
        self._need_key = self.kind == "video"
        if source is not None:
            source.attach(self)
            source.request_keyframe()

    def keyframe_requested(self) -> None:
        """The subscriber lost a picture (PLI/FIR): ask our publisher."""
        if self._source is not None:
            self._source.request_keyframe()

    def push(self, frame: EncodedFrame) -> None:
        if self._need_key and not frame.keyframe:
            self.dropped += 1
            return
        if len(self._queue) >= self._capacity:
            if self.kind == "video":
                self.dropped += len(self._queue)
                self._queue.clear()
                if not frame.keyframe:
                    self.dropped += 1
                    self._need_key = True
                    self.keyframe_requested()
                    return
            else:
                self._queue.popleft()
                self.dropped += 1
        self._need_key = False
        self._queue.append(frame)
        self._wakeup.set()

    async def recv(self) -> av.Packet[Any]:
        now = time.monotonic()
        if self._pending_latency is not None:
            # The sender calls recv again only once the previous frame is on the wire.
            self.latency.append(now - self._pending_latency)
            self._pending_latency = None
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._wakeup.clear()
            await self._wakeup.wait()
        frame = self._queue.popleft()
        self.forwarded += 1
        self._pending_latency = frame.arrival
        return self._packet(frame)

    def _packet(self, frame: EncodedFrame) -> av.Packet[Any]:
        step = DEFAULT_STEP[self._kind]
        if self._last_in is not None:
            delta = (frame.timestamp - self._last_in) & 0xFFFFFFFF
            # A jump backwards or of more than ten seconds means a new source timeline.
            if 0 < delta < 10 * TIME_BASE[self._kind].denominator:
                step = delta
        self._last_in = frame.timestamp
        self._out_pts += step
        packet = av.Packet(frame.data)
        packet.pts = self._out_pts
        packet.time_base = TIME_BASE[self._kind]
        return packet

    def stop(self) -> None:
        self.bind(None)
        super().stop()
        self._wakeup.set()
