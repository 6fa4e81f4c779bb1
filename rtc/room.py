"""A room: its seats, the caucus, the mediator's controls, and the wiring of media routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from rtc import messages as m
from rtc import routing
from rtc.channel import CloseCode
from rtc.events import EventHook, EventKind, RoomEvent, safe_emit
from rtc.quality import QualityReporter
from rtc.recording import Recording
from rtc.room_recording import RoomRecorders
from rtc.seats import Role, Seat, Ticket
from rtc.settings import RtcSettings
from rtc.wiring import wire

if TYPE_CHECKING:
    from rtc.peer import Peer
    from rtc.session import Session

logger = logging.getLogger(__name__)


# The end reason of a room no mediator ever joined: it may open again.
UNUSED = "unused"


class ControlError(ValueError):
    """A mediator control that cannot be applied; the message goes back to the mediator."""


class Room:
    def __init__(self, room_id: str, settings: RtcSettings, hook: EventHook | None,
                 on_ended: Callable[[Room], None]) -> None:
        self.id = room_id
        self.settings = settings
        self.seats: dict[str, Seat] = {}
        self.caucus: str | None = None
        self.ended = False
        # Only a room a mediator has joined can end for good; until then it is just dropped
        # when empty, and opens again when someone returns.
        self.mediator_joined = False
        self.end_reason: str | None = None
        self.opened_at = datetime.now(UTC)
        self._hook = hook
        self._on_ended = on_ended
        self._sessions: dict[str, Session] = {}
        self._sent_slots: dict[str, list[m.SlotInfo]] = {}
        self._recorders = RoomRecorders(room_id)
        self._empty_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.quality = QualityReporter(settings.quality_interval, self._peers,
                                       self._send_quality)

    def emit(self, kind: EventKind, participant_id: str | None = None, **data: Any) -> None:
        safe_emit(self._hook, RoomEvent(self.id, kind, participant_id, data))

    def session(self, participant_id: str) -> Session | None:
        return self._sessions.get(participant_id)

    # Connections.

    def refusal(self, ticket: Ticket) -> str | None:
        """Why this ticket may not connect, or None."""
        if self.ended:
            return "the session has ended"
        seat = self.seats.get(ticket.participant_id)
        if seat is None:
            return None
        if seat.removed:
            return "removed from this session by the mediator"
        if seat.role is not ticket.role or seat.side != ticket.side:
            return "this seat belongs to another role"
        return None

    async def attach(self, session: Session) -> None:
        ticket = session.ticket
        seat = self.seats.get(ticket.participant_id)
        reconnect = seat is not None
        if seat is None:
            seat = Seat(ticket.participant_id, ticket.role, ticket.side,
                        ticket.display_name or ticket.participant_id,
                        admitted=ticket.role is Role.MEDIATOR)
            self.seats[seat.participant_id] = seat
        old = self._sessions.get(seat.participant_id)
        self._sessions[seat.participant_id] = session
        seat.connected = True
        self.mediator_joined |= seat.role is Role.MEDIATOR
        if self._empty_timer is not None:
            self._empty_timer.cancel()
            self._empty_timer = None
        if old is not None:
            await old.close(CloseCode.REPLACED, "connected again from elsewhere")
            await old.drop_peer()
        self.emit(EventKind.JOINED, seat.participant_id, reconnect=reconnect)
        if not seat.admitted:
            self.emit(EventKind.WAITING, seat.participant_id)
        await session.send(m.Welcome(
            room=self.id, participant=seat.participant_id, role=seat.role.value,
            side=seat.side, admitted=seat.admitted, max_slots=self.settings.max_slots,
            ice_servers=session.browser_ice_servers()))
        if seat.muted:
            await session.send(m.MuteState(muted=True))
        if self._recorders.active:
            await session.send(m.RecordingNotice(active=True))
        if self.caucus is not None and seat.admitted:
            await session.send(self._caucus_notice(seat))
        await self.refresh()
        self.quality.start()

    async def detach(self, session: Session) -> None:
        pid = session.ticket.participant_id
        await session.drop_peer()
        if self._sessions.get(pid) is not session:
            return
        del self._sessions[pid]
        self._sent_slots.pop(pid, None)
        seat = self.seats[pid]
        seat.connected = False
        self.emit(EventKind.LEFT, pid)
        if not self.ended:
            await self.refresh()
            if not self._sessions:
                loop = asyncio.get_running_loop()
                self._empty_timer = loop.call_later(self.settings.empty_room_grace,
                                                    self._end_if_empty)

    def _end_if_empty(self) -> None:
        self._empty_timer = None
        if not self._sessions and not self.ended:
            self._spawn(self.end("empty" if self.mediator_joined else UNUSED))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Mediator controls and chat; the session has checked that the actor is a mediator.

    def _seat(self, participant_id: str) -> Seat:
        seat = self.seats.get(participant_id)
        if seat is None or seat.removed:
            raise ControlError(f"no participant {participant_id!r} in this room")
        return seat

    async def admit(self, participant_id: str, by: str) -> None:
        seat = self._seat(participant_id)
        if seat.admitted:
            return
        seat.admitted = True
        self.emit(EventKind.ADMITTED, participant_id, by=by)
        session = self._sessions.get(participant_id)
        if session is not None:
            await session.send(m.Admission(admitted=True))
            if self.caucus is not None:
                await session.send(self._caucus_notice(seat))
        await self.refresh()

    async def set_muted(self, participant_id: str, muted: bool, by: str) -> None:
        seat = self._seat(participant_id)
        if seat.muted == muted:
            return
        seat.muted = muted
        self.emit(EventKind.MUTED, participant_id, muted=muted, by=by)
        session = self._sessions.get(participant_id)
        if session is not None:
            await session.send(m.MuteState(muted=muted))
        await self.refresh()

    async def remove(self, participant_id: str, by: str) -> None:
        seat = self._seat(participant_id)
        if seat.role is Role.MEDIATOR:
            raise ControlError("a mediator cannot be removed")
        seat.removed = True
        self.emit(EventKind.REMOVED, participant_id, by=by)
        if self._recorders.active:
            self._recording_stopped(await self._recorders.stop_seat(participant_id))
        session = self._sessions.get(participant_id)
        if session is not None:
            await session.close(CloseCode.REFUSED, "removed from this session by the mediator")
            await session.drop_peer()
        await self.refresh()

    async def set_caucus(self, side: str | None, by: str) -> None:
        if side is not None and not any(s.side == side and s.role is Role.PARTY and not s.removed
                                        for s in self.seats.values()):
            raise ControlError(f"no party on side {side!r}")
        if side == self.caucus:
            return
        previous, self.caucus = self.caucus, side
        if side is None:
            self.emit(EventKind.CAUCUS_ENDED, None, side=previous, by=by)
        else:
            self.emit(EventKind.CAUCUS_STARTED, None, side=side, by=by)
        for pid, session in list(self._sessions.items()):
            seat = self.seats[pid]
            if seat.admitted:
                await session.send(self._caucus_notice(seat))
        await self.refresh()

    def _caucus_notice(self, seat: Seat) -> m.CaucusNotice:
        included = self.caucus is None or routing.group(seat, self.caucus) == "caucus"
        return m.CaucusNotice(active=self.caucus is not None, side=self.caucus,
                              included=included)

    async def chat(self, sender_id: str, text: str) -> None:
        sender = self.seats[sender_id]
        if not sender.active:
            raise ControlError("only admitted participants can chat")
        recipients = routing.chat_recipients(sender, self.seats.values(), self.caucus)
        at = datetime.now(UTC)
        relay = m.ChatRelay(participant=sender_id, name=sender.display_name, text=text,
                            at=at.isoformat(), private=self.caucus is not None)
        self.emit(EventKind.CHAT, sender_id, text=text, recipients=recipients,
                  private=self.caucus is not None, caucus=self.caucus, sent_at=at)
        for pid in recipients:
            session = self._sessions.get(pid)
            if session is not None:
                await session.send(relay)

    async def end(self, reason: str, *, code: int = CloseCode.ROOM_ENDED,
                  message: str = "the session has ended") -> None:
        if self.ended:
            return
        self.ended = True
        self.end_reason = reason
        await self.quality.stop()
        if self._empty_timer is not None:
            self._empty_timer.cancel()
            self._empty_timer = None
        await self.stop_recording()
        for session in list(self._sessions.values()):
            await session.close(code, message)
            await session.drop_peer()
        self.emit(EventKind.ROOM_ENDED, None, reason=reason)
        self._on_ended(self)

    # Recording (the portal has checked consent).

    @property
    def recording(self) -> bool:
        return self._recorders.active

    async def start_recording(self, directory: Path) -> None:
        if self.ended or self._recorders.active:
            return
        self._recorders.directory = directory
        self.emit(EventKind.RECORDING_STARTED, None, directory=str(directory))
        await self._broadcast(m.RecordingNotice(active=True))
        await self.refresh()

    async def stop_recording(self) -> list[Recording]:
        if not self._recorders.active:
            return []
        results = await self._recorders.stop()
        self._recording_stopped(results)
        if not self.ended:
            await self._broadcast(m.RecordingNotice(active=False))
        return results

    def _recording_stopped(self, results: list[Recording]) -> None:
        self.emit(EventKind.RECORDING_STOPPED, None, files=[
            {"participant": r.participant_id, "path": str(r.path), "sha256": r.sha256,
             "started_at": r.started_at, "ended_at": r.ended_at,
             "video_frames": r.video_frames, "audio_frames": r.audio_frames}
            for r in results])

    # Media routes.

    async def peer_attached(self, session: Session) -> None:
        """A new peer connection of a seat: it needs the full slot map, even if unchanged."""
        self._sent_slots.pop(session.participant_id, None)
        await self.refresh()

    async def refresh(self) -> None:
        """Re-apply who reaches whom to every connection; idempotent."""
        if self.ended:
            return
        peers = self._peers()
        maps = wire(self.seats.values(), self.caucus, peers, self._sent_slots)
        for pid, infos in maps.items():
            session = self._sessions.get(pid)
            if session is not None and self._sent_slots.get(pid) != infos:
                self._sent_slots[pid] = infos
                await session.send(m.SlotMap(slots=infos))
        self._recorders.sync(self.seats, peers)
        await self._send_participants()

    async def _send_participants(self) -> None:
        everyone = [m.SeatInfo(participant=s.participant_id, name=s.display_name,
                               role=s.role.value, side=s.side, admitted=s.admitted,
                               muted=s.muted, connected=s.connected)
                    for s in self.seats.values() if not s.removed]
        admitted = [info for info in everyone if info.admitted]
        for pid, session in list(self._sessions.items()):
            seat = self.seats[pid]
            listing = everyone if seat.role is Role.MEDIATOR else admitted
            if seat.admitted or seat.role is Role.MEDIATOR:
                await session.send_if_changed(m.Participants(participants=listing))

    def _peers(self) -> dict[str, Peer | None]:
        return {pid: session.peer for pid, session in self._sessions.items()}

    async def _send_quality(self, summaries: dict[str, m.SeatQuality]) -> None:
        for pid, session in list(self._sessions.items()):
            seen = routing.visible(self.seats[pid], self.seats.values(), self.caucus)
            listing = [summaries[p] for p in seen if p in summaries]
            if listing:
                await session.send(m.Quality(participants=listing))

    async def _broadcast(self, message: BaseModel) -> None:
        for pid, session in list(self._sessions.items()):
            if self.seats[pid].admitted:
                await session.send(message)
