"""The rooms of one server process, owned by the application's lifespan (no module globals)."""

from __future__ import annotations

import logging
from types import TracebackType

from rtc.channel import CloseCode, SignalingChannel
from rtc.events import EventHook, EventKind, RoomEvent, safe_emit
from rtc.room import UNUSED, Room
from rtc.seats import Ticket
from rtc.session import Session
from rtc.settings import RtcSettings

logger = logging.getLogger(__name__)


class RoomManager:
    """``async with RoomManager(settings, on_event) as rooms:`` in the app's lifespan; the
    WebSocket endpoint authorises a participant, then awaits ``rooms.connect(channel, ticket)``.
    """

    def __init__(self, settings: RtcSettings | None = None,
                 on_event: EventHook | None = None) -> None:
        self.settings = settings or RtcSettings()
        self._hook = on_event
        self._rooms: dict[str, Room] = {}
        self._ended: set[str] = set()
        self._closing = False

    async def __aenter__(self) -> RoomManager:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    def room(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    @property
    def rooms(self) -> tuple[Room, ...]:
        return tuple(self._rooms.values())

    def is_ended(self, room_id: str) -> bool:
        return room_id in self._ended

    async def connect(self, channel: SignalingChannel, ticket: Ticket) -> None:
        """Serve one participant's connection until it closes."""
        refusal = self._refusal(ticket)
        if refusal is not None:
            code, reason = refusal
            safe_emit(self._hook, RoomEvent(ticket.room_id, EventKind.REFUSED,
                                            ticket.participant_id, {"reason": reason}))
            await channel.close(code, reason)
            return
        room = self._rooms.get(ticket.room_id)
        if room is None:
            room = Room(ticket.room_id, self.settings, self._hook, self._room_ended)
            self._rooms[room.id] = room
            room.emit(EventKind.ROOM_OPENED)
        await Session(room, ticket, channel).run()

    def _refusal(self, ticket: Ticket) -> tuple[int, str] | None:
        if self._closing:
            return CloseCode.GOING_AWAY, "the server is shutting down"
        if ticket.room_id in self._ended:
            return CloseCode.ROOM_ENDED, "the session has ended"
        room = self._rooms.get(ticket.room_id)
        reason = room.refusal(ticket) if room is not None else None
        return (CloseCode.REFUSED, reason) if reason is not None else None

    async def end_room(self, room_id: str, reason: str = "ended") -> None:
        room = self._rooms.get(room_id)
        if room is not None:
            await room.end(reason)
        else:
            self._ended.add(room_id)

    def _room_ended(self, room: Room) -> None:
        if room.end_reason != UNUSED:
            self._ended.add(room.id)
        if self._rooms.get(room.id) is room:
            del self._rooms[room.id]

    async def close(self) -> None:
        """End every room: recordings are finished, connections closed, peers released."""
        self._closing = True
        for room in list(self._rooms.values()):
            await room.end("shutdown", code=CloseCode.GOING_AWAY,
                           message="the server is shutting down")
