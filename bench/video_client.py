"""A process of headless participants for bench/video.py: they publish pre-encoded packets
(no encoding here) and count the frames they receive (no decoding). The parent drives it
over a pipe: ready, go, stop (then a report), exit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.video_signal import LINE_LIMIT, StreamChannel, load_media
from rtc.headless import HeadlessClient, PacketTrack

DRAIN = 1.0


def main(port: int, seats: list[dict[str, Any]], media: str, others: int,
         control: Connection) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_run(port, seats, Path(media), others, control))


async def _join(port: int, seat: dict[str, Any], video: list[bytes],
                audio: list[bytes]) -> HeadlessClient:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=LINE_LIMIT)
    writer.write(json.dumps(seat).encode() + b"\n")
    client = HeadlessClient(StreamChannel(reader, writer), slots=5,
                            audio=PacketTrack("audio", audio, interval=0.02),
                            video=PacketTrack("video", video, interval=1 / 30))
    for track in (client.audio, client.video):
        assert track is not None
        track.running.clear()  # nothing is sent before "go"
    await client.start()
    await client.wait_message("welcome", timeout=30)
    return client


async def _admit_everyone(mediator: HeadlessClient) -> None:
    admitted: set[str] = set()
    while not mediator.closed:
        for seat in mediator.latest("participants").get("participants", []):
            if not seat["admitted"] and seat["participant"] not in admitted:
                admitted.add(seat["participant"])
                await mediator.send({"type": "admit", "participant": seat["participant"]})
        await asyncio.sleep(0.05)


def _slots_full(client: HeadlessClient, others: int) -> Callable[[], bool]:
    def full() -> bool:
        owners = [s["participant"] for s in client.latest("slots").get("slots", [])]
        return sum(1 for o in owners if o is not None) >= others
    return full


async def _run(port: int, seats: list[dict[str, Any]], media: Path, others: int,
               control: Connection) -> None:
    frames = load_media(media)
    clients = [await _join(port, seat, frames["video"], frames["audio"]) for seat in seats]
    helpers = [asyncio.create_task(_admit_everyone(c))
               for c, s in zip(clients, seats, strict=True) if s["role"] == "mediator"]
    for client in clients:
        if not client.latest("welcome").get("admitted"):
            await client.wait_message("admission", timeout=60)
        await client.connect_media(timeout=60)
    loop = asyncio.get_running_loop()
    for client in clients:
        await client.wait_for(_slots_full(client, others), timeout=60)
    control.send("ready")
    tracks = [t for c in clients for t in (c.audio, c.video) if t is not None]
    while True:
        command = await loop.run_in_executor(None, control.recv)
        if command == "go":
            for track in tracks:
                track.running.set()
        elif command == "stop":
            for track in tracks:
                track.running.clear()
            await asyncio.sleep(DRAIN)
            control.send(_report(clients, seats))
        elif command == "exit":
            break
    for task in helpers:
        task.cancel()
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()
    control.send(True)


def _report(clients: list[HeadlessClient], seats: list[dict[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = {"sent": {}, "received": {}}
    for client, seat in zip(clients, seats, strict=True):
        assert client.audio is not None and client.video is not None
        report["sent"][seat["participant"]] = {"audio": client.audio.sent,
                                               "video": client.video.sent}
        report["received"][seat["participant"]] = {"audio": client.total("audio"),
                                                   "video": client.total("video")}
    return report
