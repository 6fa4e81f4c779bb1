"""The Starlette side of rtc/: a WebSocket as rtc's signaling channel, and room passes.

A room pass is what the browser presents when it opens the room's WebSocket: random,
single-use, short-lived and bound to one login and one invitee. The room page fetches a
fresh one for every (re)connection; the portal's other links (the invitation's join link)
never open a socket.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

import rtc

PASS_TTL = 60.0
# Passes kept at once (issued and not expired); beyond it no more are issued.
MAX_PASSES = 10_000


class StarletteChannel:
    """Satisfies ``rtc.SignalingChannel``."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def receive(self) -> dict[str, Any]:
        if self.closed:
            raise rtc.ChannelClosed("closed")
        try:
            # A binary or non-JSON frame raises here: rtc closes the connection with 4400.
            message: dict[str, Any] = await self.ws.receive_json()
        except WebSocketDisconnect as exc:
            self.closed = True
            raise rtc.ChannelClosed(exc.reason or str(exc.code)) from exc
        return message

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self.ws.application_state is WebSocketState.CONNECTED and (
                self.ws.client_state is WebSocketState.CONNECTED):
            await self.ws.close(code, reason)


class PassRefused(Exception):
    """``str(exc)`` is the reason sent with the WebSocket's close frame."""


@dataclass(frozen=True)
class RoomPass:
    user_id: int
    login_id: str
    meeting_id: int
    invitee_id: int
    expires: float


class RoomPasses:
    """Issued passes, in this process (rooms live in one process too)."""

    def __init__(self, ttl: float = PASS_TTL, limit: int = MAX_PASSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._limit = limit
        self._clock = clock
        self._open: dict[str, RoomPass] = {}
        # Used passes until they would have expired, so a replay is told apart from a forgery.
        self._used: dict[str, float] = {}

    def _prune(self, now: float) -> None:
        for token in [t for t, p in self._open.items() if p.expires <= now]:
            del self._open[token]
        for token in [t for t, expires in self._used.items() if expires <= now]:
            del self._used[token]

    def issue(self, *, user_id: int, login_id: str, meeting_id: int, invitee_id: int) -> str:
        now = self._clock()
        self._prune(now)
        if len(self._open) >= self._limit:
            raise PassRefused("too many room passes; try again in a minute")
        token = secrets.token_urlsafe(24)
        self._open[token] = RoomPass(user_id, login_id, meeting_id, invitee_id, now + self._ttl)
        return token

    def redeem(self, token: str, *, user_id: int, login_id: str, meeting_id: int) -> RoomPass:
        """The pass, consumed; raises PassRefused for an unknown, used or expired one."""
        now = self._clock()
        if token in self._used:
            raise PassRefused("this room pass was already used; reload the page")
        found = self._open.pop(token, None)
        if found is None:
            raise PassRefused("not a valid room pass")
        self._used[token] = found.expires
        if found.expires <= now:
            raise PassRefused("the room pass has expired; reload the page")
        if (found.user_id, found.login_id, found.meeting_id) != (user_id, login_id, meeting_id):
            raise PassRefused("not a valid room pass")
        return found
