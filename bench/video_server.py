"""The media server process of bench/video.py: rtc's forwarding RoomManager ("forward") or
the MediaRelay transcoding baseline ("relay"), behind the JSON-lines signaling of
bench/video_signal.py. The parent drives it over a pipe: cpu, reset, stats, exit."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.video_relay import RelayRoom
from bench.video_signal import LINE_LIMIT, StreamChannel
from rtc.manager import RoomManager
from rtc.seats import Role, Ticket
from rtc.settings import RtcSettings

SLOTS = 5


def main(mode: str, control: Connection) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_serve(mode, control))


async def _serve(mode: str, control: Connection) -> None:
    rooms: RoomManager | RelayRoom = (
        RoomManager(RtcSettings(max_slots=SLOTS)) if mode == "forward" else RelayRoom(SLOTS))
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = json.loads(await reader.readline())
        ticket = Ticket(hello["room"], hello["participant"], Role(hello["role"]),
                        hello.get("side"), hello["participant"])
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await rooms.connect(StreamChannel(reader, writer), ticket)
        finally:
            tasks.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=LINE_LIMIT)
    control.send(server.sockets[0].getsockname()[1])
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, control.recv)
        if command == "cpu":
            control.send(time.process_time())
        elif command == "reset":
            _latencies(rooms, clear=True)
            control.send(True)
        elif command == "stats":
            control.send({"latency": _latencies(rooms, clear=False)})
        elif command == "exit":
            break
    server.close()
    await rooms.close()
    if tasks:
        await asyncio.wait(tasks, timeout=5)
    control.send(True)


def _latencies(rooms: Any, *, clear: bool) -> list[float]:
    """Forwarding latency samples of every subscriber track (forward mode only)."""
    samples: list[float] = []
    if not isinstance(rooms, RoomManager):
        return samples
    for room in rooms.rooms:
        for pid in list(room.seats):
            session = room.session(pid)
            if session is None or session.peer is None:
                continue
            for slot in session.peer.slots:
                for track in (slot.audio, slot.video):
                    samples.extend(track.latency)
                    if clear:
                        track.latency.clear()
    return samples
