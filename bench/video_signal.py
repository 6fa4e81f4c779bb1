"""Signaling between processes for bench/video.py: JSON lines over loopback TCP.

The first line a client sends is its ticket; the benchmark trusts it (no web layer here).
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from rtc.channel import ChannelClosed

_CLOSE = "__close__"
LINE_LIMIT = 1 << 20


class StreamChannel:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._closed = False
        self.close_code: int | None = None
        self.close_reason: str | None = None

    async def send(self, message: dict[str, Any]) -> None:
        if self._closed:
            raise ChannelClosed(self.close_reason)
        try:
            self._writer.write(json.dumps(message).encode() + b"\n")
            await self._writer.drain()
        except ConnectionError as exc:
            raise ChannelClosed(str(exc)) from exc

    async def receive(self) -> dict[str, Any]:
        try:
            line = await self._reader.readline()
        except ConnectionError as exc:
            raise ChannelClosed(str(exc)) from exc
        if not line:
            raise ChannelClosed(self.close_reason)
        message: dict[str, Any] = json.loads(line)
        if message.get("type") == _CLOSE:
            self.close_code, self.close_reason = message["code"], message["reason"]
            self._closed = True
            raise ChannelClosed(self.close_reason)
        return message

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        self.close_code, self.close_reason = code, reason
        try:
            self._writer.write(json.dumps({"type": _CLOSE, "code": code,
                                           "reason": reason}).encode() + b"\n")
            await self._writer.drain()
        except ConnectionError:
            pass
        self._writer.close()


def save_media(path: Path, frames: dict[str, list[bytes]]) -> None:
    """The pre-encoded frames handed to the client processes."""
    path.write_text(json.dumps({kind: [base64.b64encode(f).decode() for f in items]
                                for kind, items in frames.items()}))


def load_media(path: Path) -> dict[str, list[bytes]]:
    return {kind: [base64.b64decode(f) for f in items]
            for kind, items in json.loads(path.read_text()).items()}
