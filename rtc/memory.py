"""An in-process signaling channel pair, for tests and headless clients in the same loop."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rtc.channel import ChannelClosed


class _Closed:
    pass


_CLOSED = _Closed()


class MemoryChannel:
    """One end of a pair; messages are JSON round-tripped as on a real socket."""

    def __init__(self, inbox: asyncio.Queue[object], outbox: asyncio.Queue[object]) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self.peer: MemoryChannel | None = None
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.loads(json.dumps(message)))

    async def send_raw(self, value: object) -> None:
        """Send anything, also what a well-behaved peer never would (tests of bad input)."""
        if self.closed.is_set():
            raise ChannelClosed(self.close_reason)
        await self._outbox.put(value)

    async def receive(self) -> dict[str, Any]:
        if self.closed.is_set() and self._inbox.empty():
            raise ChannelClosed(self.close_reason)
        item = await self._inbox.get()
        if isinstance(item, _Closed):
            self._inbox.put_nowait(item)
            raise ChannelClosed(self.close_reason)
        return item  # type: ignore[return-value]  # raw values reach the parser unchanged

    async def close(self, code: int, reason: str) -> None:
        for end in (self, self.peer):
            if end is not None and not end.closed.is_set():
                end.close_code, end.close_reason = code, reason
                end.closed.set()
                end._inbox.put_nowait(_CLOSED)


def channel_pair() -> tuple[MemoryChannel, MemoryChannel]:
    """(server end, client end)."""
    a: asyncio.Queue[object] = asyncio.Queue()
    b: asyncio.Queue[object] = asyncio.Queue()
    server, client = MemoryChannel(a, b), MemoryChannel(b, a)
    server.peer, client.peer = client, server
    return server, client
