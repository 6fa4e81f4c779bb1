"""Video mediation: forwarding encoded frames against aiortc's MediaRelay transcoding relay.

One room of six participants, each publishing pre-encoded 640x480 30 fps VP8 and Opus from
client processes (bench/video_client.py: no encoding, and received frames are counted, never
decoded). The server process (bench/video_server.py) runs rtc's RoomManager, then, in the same
run, the MediaRelay baseline (bench/video_relay.py). Server CPU is its process CPU time.

* CPU per stream: server CPU seconds per delivered stream-second, a stream being one
  participant's audio and video to one subscriber, and a stream-second 30 delivered video
  frames (so a relay that delivers 6 fps pays for what it fails to deliver).
* Forwarding latency: from the arrival of a frame's last packet at the server to the moment
  its packets to one subscriber are all on the wire (sampled per subscriber track).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import video_client, video_server
from bench.figures import Figure
from bench.video_signal import save_media
from rtc.synthetic import encode_opus, encode_vp8

PARTIES = 6
CLIENT_PROCESSES = 3
FORWARD_SECONDS = float(os.environ.get("ODR_BENCH_VIDEO_SECONDS", "10"))
RELAY_SECONDS = float(os.environ.get("ODR_BENCH_VIDEO_RELAY_SECONDS", "6"))
FPS = 30
SETUP_TIMEOUT = 90


@dataclass(frozen=True)
class Result:
    seconds: float
    cpu_sending: float      # server CPU seconds while media was sent
    cpu_total: float        # ... including the drain after sending stopped
    sent: dict[str, int]    # frames sent, per kind, all publishers
    delivered: dict[str, int]
    latency: list[float]

    @property
    def expected(self) -> int:
        return (self.sent["audio"] + self.sent["video"]) * (PARTIES - 1)

    @property
    def delivery(self) -> float:
        return (self.delivered["audio"] + self.delivered["video"]) / max(1, self.expected)

    @property
    def cpu_per_stream(self) -> float:
        stream_seconds = self.delivered["video"] / FPS
        return self.cpu_total / stream_seconds if stream_seconds else float("inf")


def _media(directory: Path) -> Path:
    path = directory / "media.json"
    save_media(path, {"video": encode_vp8(640, 480, 3 * FPS, noise=0.01),
                      "audio": encode_opus(50)})
    return path


def _ask(conn: Connection, command: str, timeout: float = 30) -> Any:
    conn.send(command)
    if not conn.poll(timeout):
        raise TimeoutError(f"no answer to {command!r}")
    return conn.recv()


def _scenario(mode: str, media: Path, seconds: float) -> Result:
    ctx = multiprocessing.get_context("spawn")
    server_conn, child = ctx.Pipe()
    server = ctx.Process(target=video_server.main, args=(mode, child), daemon=True)
    server.start()
    processes = [server]
    try:
        if not server_conn.poll(SETUP_TIMEOUT):
            raise TimeoutError("server did not start")
        port = server_conn.recv()
        seats = [{"room": "bench", "participant": f"p{i}",
                  "role": "mediator" if i == 0 else "party",
                  "side": None if i == 0 else ("applicant", "respondent")[i % 2]}
                 for i in range(PARTIES)]
        conns = []
        for index in range(CLIENT_PROCESSES):
            conn, child = ctx.Pipe()
            group = seats[index::CLIENT_PROCESSES]
            process = ctx.Process(target=video_client.main, daemon=True,
                                  args=(port, group, str(media), PARTIES - 1, child))
            process.start()
            processes.append(process)
            conns.append(conn)
        for conn in conns:
            if not conn.poll(SETUP_TIMEOUT) or conn.recv() != "ready":
                raise TimeoutError("clients did not connect")
        _ask(server_conn, "reset")
        cpu0, t0 = _ask(server_conn, "cpu"), time.monotonic()
        for conn in conns:
            conn.send("go")
        time.sleep(seconds)
        cpu1, t1 = _ask(server_conn, "cpu"), time.monotonic()
        for conn in conns:
            conn.send("stop")
        reports = [conn.recv() if conn.poll(30) else {} for conn in conns]
        cpu2 = _ask(server_conn, "cpu")
        latency = _ask(server_conn, "stats")["latency"]
        for conn in conns:
            _ask(conn, "exit")
        _ask(server_conn, "exit")
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
    sent = {k: sum(r["sent"][p][k] for r in reports for p in r["sent"]) for k in ("audio", "video")}
    delivered = {k: sum(r["received"][p][k] for r in reports for p in r["received"])
                 for k in ("audio", "video")}
    return Result(t1 - t0, cpu1 - cpu0, cpu2 - cpu0, sent, delivered, latency)


def _p95(samples: list[float]) -> float:
    if len(samples) < 20:
        return float("inf")
    return statistics.quantiles(samples, n=20)[-1]


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="odr-bench-video-") as tmp:
        media = _media(Path(tmp))
        ours = _scenario("forward", media, FORWARD_SECONDS)
        relay = _scenario("relay", media, RELAY_SECONDS)
    # Details on stderr: stdout carries only the figure lines.
    print(f"video: forward sent={ours.sent} delivered={ours.delivered} "
          f"cpu={ours.cpu_sending:.2f}s/{ours.seconds:.1f}s; relay sent={relay.sent} "
          f"delivered={relay.delivered} cpu={relay.cpu_sending:.2f}s/{relay.seconds:.1f}s "
          f"({relay.delivered['video'] / max(1, relay.seconds) / (PARTIES * (PARTIES - 1)):.1f}"
          f" fps per stream)", file=sys.stderr, flush=True)
    core_pct = 100 * ours.cpu_sending / ours.seconds
    return [
        # value and baseline are streams per CPU-second, so ratio = relay CPU / our CPU.
        Figure("video.cpu_per_stream_ratio", 1 / ours.cpu_per_stream,
               1 / relay.cpu_per_stream, 15),
        Figure("video.delivery", ours.delivery, 1, 0.98),
        Figure("video.room6_core_pct", core_pct, 1, 50, higher_is_better=False),
        Figure("video.forward_p95_ms", 1000 * _p95(ours.latency), 1, 10,
               higher_is_better=False),
    ]
