"""Connection quality of each seat, judged on the server from its peer connection's stats.

Every ``RtcSettings.quality_interval`` seconds the room samples each peer's ``getStats()``:
what the seat publishes (``inbound-rtp``: packets received and lost, jitter) and what it
receives, as its RTCP receiver reports describe it (``remote-inbound-rtp``: round-trip time,
fraction lost, jitter). The loss of an interval is the worse of the two directions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiortc import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from rtc import messages as m

if TYPE_CHECKING:
    from rtc.peer import Peer

logger = logging.getLogger(__name__)

# aiortc 1.16 reports jitter in RTP timestamp units (the spec says seconds) and fractionLost
# as the raw 8-bit fixed-point value of the receiver report.
CLOCK_RATE = {"audio": 48_000, "video": 90_000}
FRACTION_SCALE = 256


@dataclass(frozen=True)
class Thresholds:
    loss: float
    rtt_ms: float
    jitter_ms: float


# A level is the worst its three figures reach. Loss above 2 % is audible in Opus and shows
# as VP8 freezes; 250 ms round trip makes turn-taking awkward (ITU-T G.114 puts the limit of
# good one-way delay at 150 ms); jitter above 30 ms exceeds a typical jitter buffer.
FAIR = Thresholds(loss=0.02, rtt_ms=250.0, jitter_ms=30.0)
POOR = Thresholds(loss=0.08, rtt_ms=500.0, jitter_ms=80.0)


def _reaches(limit: Thresholds, rtt_ms: float | None, loss: float, jitter_ms: float) -> bool:
    return (loss >= limit.loss or jitter_ms >= limit.jitter_ms
            or (rtt_ms is not None and rtt_ms >= limit.rtt_ms))


def level(rtt_ms: float | None, loss: float, jitter_ms: float) -> m.QualityLevel:
    """good | fair | poor; an unknown round-trip time counts as neither good nor bad."""
    if _reaches(POOR, rtt_ms, loss, jitter_ms):
        return "poor"
    if _reaches(FAIR, rtt_ms, loss, jitter_ms):
        return "fair"
    return "good"


@dataclass(frozen=True)
class LinkSample:
    """One reading of a peer's stats; the packet counts are totals since the peer began."""

    received: int
    lost: int
    jitter_ms: float
    rtt_ms: float | None
    down_loss: float | None

    @property
    def empty(self) -> bool:
        return self.received == 0 and self.rtt_ms is None and self.down_loss is None


def _jitter_ms(jitter: float, kind: str) -> float:
    return 1000.0 * jitter / CLOCK_RATE.get(kind, CLOCK_RATE["video"])


def sample(report: Mapping[str, object]) -> LinkSample:
    """Read an aiortc ``RTCStatsReport`` (or any mapping of its stats objects)."""
    received = lost = 0
    jitters: list[float] = [0.0]
    rtts: list[float] = []
    down: list[float] = []
    for stats in report.values():
        if isinstance(stats, RTCInboundRtpStreamStats):
            received += stats.packetsReceived
            lost += max(0, stats.packetsLost)
            jitters.append(_jitter_ms(stats.jitter, stats.kind))
        elif isinstance(stats, RTCRemoteInboundRtpStreamStats):
            jitters.append(_jitter_ms(stats.jitter, stats.kind))
            down.append(stats.fractionLost / FRACTION_SCALE)
            if stats.roundTripTime is not None:  # None until an SR has been answered
                rtts.append(1000.0 * stats.roundTripTime)
    return LinkSample(received, lost, max(jitters), max(rtts) if rtts else None,
                      max(down) if down else None)


def summarise(participant: str, previous: LinkSample | None,
              current: LinkSample) -> m.SeatQuality | None:
    """The quality of the interval between two samples; None when nothing was measured."""
    if current.empty:
        return None
    base = previous or LinkSample(0, 0, 0.0, None, None)
    lost = max(0, current.lost - base.lost)
    expected = max(0, current.received - base.received) + lost
    up_loss = lost / expected if expected else 0.0
    loss = max(up_loss, current.down_loss or 0.0)
    rtt = None if current.rtt_ms is None else round(current.rtt_ms, 1)
    jitter = round(current.jitter_ms, 1)
    return m.SeatQuality(participant=participant, level=level(rtt, loss, jitter),
                         rtt_ms=rtt, loss=round(loss, 4), jitter_ms=jitter)


Publish = Callable[[dict[str, m.SeatQuality]], Awaitable[None]]


class QualityReporter:
    """The periodic task of one room: samples its peers, hands the summaries to ``publish``."""

    def __init__(self, interval: float, peers: Callable[[], Mapping[str, Peer | None]],
                 publish: Publish) -> None:
        self.interval = interval
        self._peers = peers
        self._publish = publish
        self._last: dict[str, tuple[Peer, LinkSample]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        self.interval = 0  # never started again once stopped
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._last.clear()

    async def collect(self) -> dict[str, m.SeatQuality]:
        found: dict[str, m.SeatQuality] = {}
        peers = {pid: p for pid, p in self._peers().items() if p is not None and not p.closed}
        for pid in set(self._last) - set(peers):
            del self._last[pid]
        for pid, peer in peers.items():
            try:
                current = sample(await peer.pc.getStats())
            except Exception:  # a peer closing under us: skip it this time
                logger.debug("stats of %s failed", pid, exc_info=True)
                continue
            last = self._last.get(pid)
            previous = last[1] if last is not None and last[0] is peer else None
            self._last[pid] = (peer, current)
            summary = summarise(pid, previous, current)
            if summary is not None:
                found[pid] = summary
        return found

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self._publish(await self.collect())
            except Exception:  # a bug here must not end the room's reports for good
                logger.exception("quality report failed")
