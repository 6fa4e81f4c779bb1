"""Connection quality: the pure rules, then reports in a live room."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from aiortc import (
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
)

from rtc import messages as m
from rtc import quality, routing
from rtc.headless import HeadlessClient
from rtc.seats import Role, Seat
from rtc.settings import RtcSettings
from tests.unit.rtc.harness import eventually, harness, receives

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("rtt", "loss", "jitter", "expected"), [
    (None, 0.0, 0.0, "good"),
    (40.0, 0.01, 10.0, "good"),
    (249.9, 0.0199, 29.9, "good"),
    (250.0, 0.0, 0.0, "fair"),
    (None, 0.02, 0.0, "fair"),
    (20.0, 0.0, 30.0, "fair"),
    (500.0, 0.0, 0.0, "poor"),
    (None, 0.08, 0.0, "poor"),
    (20.0, 0.0, 80.0, "poor"),
    (300.0, 0.5, 1.0, "poor"),
])
def test_level_is_the_worst_figure(rtt: float | None, loss: float, jitter: float,
                                   expected: str) -> None:
    assert quality.level(rtt, loss, jitter) == expected


def _inbound(kind: str, received: int, lost: int, jitter: int) -> RTCInboundRtpStreamStats:
    return RTCInboundRtpStreamStats(timestamp=NOW, type="inbound-rtp", id=f"in-{kind}", ssrc=1,
                                    kind=kind, transportId="t", packetsReceived=received,
                                    packetsLost=lost, jitter=jitter)


def _remote(kind: str, rtt: float | None, fraction: int,
            jitter: int) -> RTCRemoteInboundRtpStreamStats:
    return RTCRemoteInboundRtpStreamStats(
        timestamp=NOW, type="remote-inbound-rtp", id=f"rin-{kind}", ssrc=2, kind=kind,
        transportId="t", packetsReceived=10, packetsLost=0, jitter=jitter,
        roundTripTime=rtt, fractionLost=fraction)  # type: ignore[arg-type]


def test_sample_reads_both_directions_in_milliseconds() -> None:
    report: dict[str, Any] = {
        "a": _inbound("audio", 100, 2, 480),          # 10 ms at 48 kHz
        "v": _inbound("video", 300, 1, 1800),         # 20 ms at 90 kHz
        "ra": _remote("audio", 0.05, 0, 96),
        "rv": _remote("video", None, 64, 900),        # 25 % lost downstream
        "o": RTCOutboundRtpStreamStats(timestamp=NOW, type="outbound-rtp", id="o", ssrc=3,
                                       kind="video", transportId="t", packetsSent=5,
                                       bytesSent=50, trackId="x"),
    }
    s = quality.sample(report)
    assert (s.received, s.lost) == (400, 3)
    assert s.jitter_ms == pytest.approx(20.0)
    assert s.rtt_ms == pytest.approx(50.0)
    assert s.down_loss == pytest.approx(0.25)
    assert quality.sample({}).empty


def test_summary_covers_the_last_interval_only() -> None:
    before = quality.LinkSample(received=1000, lost=500, jitter_ms=5.0, rtt_ms=30.0,
                                down_loss=0.0)
    after = quality.LinkSample(received=1099, lost=501, jitter_ms=5.0, rtt_ms=30.0,
                               down_loss=0.0)
    summary = quality.summarise("a", before, after)
    assert summary == m.SeatQuality(participant="a", level="good", rtt_ms=30.0, loss=0.01,
                                    jitter_ms=5.0)
    # Without the previous sample the totals count: half the packets lost.
    assert quality.summarise("a", None, after).level == "poor"  # type: ignore[union-attr]
    # Downstream loss reported by the seat counts as well.
    worse = quality.LinkSample(1099, 501, 5.0, 30.0, down_loss=0.05)
    assert quality.summarise("a", before, worse).loss == 0.05  # type: ignore[union-attr]
    assert quality.summarise("a", None, quality.LinkSample(0, 0, 0.0, None, None)) is None


def _seat(pid: str, role: Role, side: str | None, *, admitted: bool = True) -> Seat:
    return Seat(pid, role, side, pid, admitted=admitted, connected=True)


def test_visible_seats_follow_the_caucus_groups() -> None:
    seats = [_seat("m", Role.MEDIATOR, None), _seat("a", Role.PARTY, "applicant"),
             _seat("r", Role.PARTY, "respondent"),
             _seat("w", Role.PARTY, "respondent", admitted=False)]
    m_, a, r, w = seats
    assert routing.visible(r, seats, None) == ["m", "a", "r"]
    assert routing.visible(r, seats, "applicant") == ["r"]
    assert routing.visible(a, seats, "applicant") == ["m", "a"]
    assert routing.visible(m_, seats, "applicant") == ["m", "a", "r"]
    assert routing.visible(w, seats, None) == []


# Live rooms.

FAST = RtcSettings(quality_interval=0.3)


def _entries(client: HeadlessClient) -> dict[str, dict[str, Any]]:
    latest = client.last("quality")
    return {} if latest is None else {e["participant"]: e for e in latest["participants"]}


@pytest.mark.anyio
async def test_each_participant_gets_the_others_quality() -> None:
    async with harness(FAST) as h:
        mediator = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=mediator)
        await eventually(lambda: receives(mediator, "a")() and receives(a, "m")())
        await eventually(lambda: "m" in _entries(a) and "a" in _entries(mediator),
                         what="quality reports")
        entry = _entries(a)["m"]
        assert entry["level"] in ("good", "fair", "poor")
        assert 0.0 <= entry["loss"] <= 1.0 and 0.0 <= entry["jitter_ms"] < 1000.0
        # Receiver reports come about once a second: a round-trip time follows.
        await eventually(lambda: _entries(a).get("m", {}).get("rtt_ms") is not None,
                         what="a round-trip time")


@pytest.mark.anyio
async def test_the_side_outside_a_caucus_learns_nothing_of_it() -> None:
    async with harness(FAST) as h:
        mediator = await h.join("m", Role.MEDIATOR)
        a = await h.join("a", side="applicant", admit_by=mediator)
        r = await h.join("r", side="respondent", admit_by=mediator)
        await eventually(lambda: {"m", "a", "r"} <= set(_entries(r)), what="full reports")
        await mediator.send({"type": "caucus", "side": "applicant"})
        await r.wait_message("caucus")
        started = len(r.messages)
        await eventually(lambda: sum(msg["type"] == "quality"
                                     for msg in r.messages[started:]) >= 2,
                         what="reports during the caucus")
        for msg in r.messages[started:]:
            if msg["type"] == "quality":
                assert {e["participant"] for e in msg["participants"]} == {"r"}
        assert {"m", "a"} <= set(_entries(a))
        assert {"m", "a", "r"} <= set(_entries(mediator))


@pytest.mark.anyio
async def test_reports_stop_when_the_room_ends() -> None:
    async with harness(FAST) as h:
        mediator = await h.join("m", Role.MEDIATOR)
        room = h.manager.room("r1")
        assert room is not None and room.quality.running
        await eventually(lambda: mediator.last("quality") is not None, what="a report")
        await mediator.send({"type": "end"})
        await eventually(lambda: room.ended)
        assert not room.quality.running
        room.quality.start()  # a stopped reporter never restarts
        assert not room.quality.running
