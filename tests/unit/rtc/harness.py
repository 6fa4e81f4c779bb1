"""A room manager with headless aiortc clients in this process, over in-memory channels."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from rtc.events import EventKind, RoomEvent
from rtc.headless import HeadlessClient, PacketTrack
from rtc.manager import RoomManager
from rtc.memory import channel_pair
from rtc.seats import Role, Ticket
from rtc.settings import RtcSettings
from rtc.synthetic import encode_opus, encode_vp8

FPS = 30


@functools.cache
def video_frames() -> tuple[bytes, ...]:
    # Two seconds with a single key frame: a late subscriber depends on PLI being forwarded.
    return tuple(encode_vp8(64, 48, 2 * FPS))


@functools.cache
def audio_frames() -> tuple[bytes, ...]:
    return tuple(encode_opus(50))


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0,
                     what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Harness:
    manager: RoomManager
    events: list[RoomEvent]
    clients: list[HeadlessClient] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def connect(self, ticket: Ticket, *, slots: int = 4,
                media: bool = True) -> HeadlessClient:
        server_end, client_end = channel_pair()
        self.tasks.append(asyncio.get_running_loop().create_task(
            self.manager.connect(server_end, ticket)))
        client = HeadlessClient(
            client_end, slots=slots, keep_frames=True,
            audio=PacketTrack("audio", audio_frames(), interval=0.02) if media else None,
            video=PacketTrack("video", video_frames(), interval=1 / FPS) if media else None)
        self.clients.append(client)
        return client

    async def join(self, pid: str, role: Role = Role.PARTY, side: str | None = None, *,
                   room: str = "r1", slots: int = 4, admit_by: HeadlessClient | None = None,
                   media: bool = True) -> HeadlessClient:
        client = self.connect(Ticket(room, pid, role, side, display_name=pid.title()),
                              slots=slots, media=media)
        await client.start()
        welcome = await client.wait_message("welcome")
        assert welcome["participant"] == pid
        if admit_by is not None and not welcome["admitted"]:
            await admit_by.send({"type": "admit", "participant": pid})
            await client.wait_message("admission")
        if media:
            await client.connect_media()
        return client

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]

    async def close(self) -> None:
        for client in self.clients:
            if not client.closed:
                await client.close()
        await self.manager.close()
        await asyncio.wait_for(asyncio.gather(*self.tasks), 10)


@asynccontextmanager
async def harness(settings: RtcSettings | None = None) -> AsyncIterator[Harness]:
    events: list[RoomEvent] = []
    h = Harness(RoomManager(settings or RtcSettings(), events.append), events)
    try:
        yield h
    finally:
        await h.close()


def closed(client: HeadlessClient) -> Callable[[], bool]:
    return lambda: client.closed


def receives(client: HeadlessClient, publisher: str, frames: int = 5) -> Callable[[], bool]:
    return lambda: (client.by_participant[publisher, "video"] >= frames
                    and client.by_participant[publisher, "audio"] >= frames)
