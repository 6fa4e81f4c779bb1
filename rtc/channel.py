"""The signaling channel rtc/ talks through; portal/web adapts a Starlette WebSocket to it."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any, Protocol


class ChannelClosed(Exception):
    """The other end has gone; no more messages will arrive."""


class SignalingChannel(Protocol):
    """One participant's connection.

    ``receive`` returns the next JSON object and raises ChannelClosed once the other end has
    closed (or after ``close``). Any other exception from ``receive`` (a frame that is not
    JSON, say) counts as a malformed message. ``close`` must be idempotent.
    """

    async def send(self, message: dict[str, Any]) -> None: ...

    async def receive(self) -> dict[str, Any]: ...

    async def close(self, code: int, reason: str) -> None: ...


class CloseCode(enum.IntEnum):
    """WebSocket close codes; 4xxx mirror the HTTP status of the same meaning."""

    NORMAL = 1000
    GOING_AWAY = 1001
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013
    BAD_MESSAGE = 4400
    REFUSED = 4403
    REPLACED = 4409
    ROOM_ENDED = 4410
    FLOOD = 4429


class RateLimiter:
    """Token bucket: ``burst`` messages at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
