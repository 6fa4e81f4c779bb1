"""One signaling connection of a seat: reads messages, answers offers, applies controls."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import BaseModel

from rtc import messages as m
from rtc.channel import ChannelClosed, CloseCode, RateLimiter, SignalingChannel
from rtc.events import EventKind
from rtc.ice import build_configuration, ice_servers
from rtc.offer import BadOffer
from rtc.peer import NoCandidates, Peer
from rtc.room import ControlError, Room
from rtc.seats import Role, Ticket

logger = logging.getLogger(__name__)


class Session:
    def __init__(self, room: Room, ticket: Ticket, channel: SignalingChannel) -> None:
        self.room = room
        self.ticket = ticket
        self.peer: Peer | None = None
        self._channel = channel
        self._settings = room.settings
        self._limiter = RateLimiter(self._settings.message_rate, self._settings.message_burst)
        self._closed = False
        self._receiving: asyncio.Future[dict[str, Any]] | None = None
        self._last_participants: BaseModel | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def participant_id(self) -> str:
        return self.ticket.participant_id

    def browser_ice_servers(self) -> list[dict[str, object]]:
        return [s.as_browser_dict() for s in ice_servers(self._settings.ice,
                                                         self.participant_id)]

    async def send(self, message: BaseModel) -> None:
        if self._closed:
            return
        try:
            await self._channel.send(message.model_dump(mode="json"))
        except Exception:  # a dead socket must not break the room that is broadcasting
            logger.info("send to %s failed", self.participant_id, exc_info=True)

    async def send_if_changed(self, message: BaseModel) -> None:
        if message != self._last_participants:
            self._last_participants = message
            await self.send(message)

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._channel.close(code, reason)
        except Exception:
            logger.info("close of %s failed", self.participant_id, exc_info=True)
        if self._receiving is not None:
            self._receiving.cancel()

    async def drop_peer(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            await peer.close()

    async def _refuse(self, code: int, reason: str) -> None:
        self.room.emit(EventKind.PROTOCOL_ERROR, self.participant_id, reason=reason, code=code)
        await self.close(code, reason)

    async def run(self) -> None:
        try:
            await self.room.attach(self)
            while not self._closed:
                raw = await self._next()
                if raw is None:
                    break
                if not self._limiter.allow():
                    await self._refuse(CloseCode.FLOOD, "too many messages")
                    break
                try:
                    message = m.parse_client_message(
                        raw, max_bytes=self._settings.max_message_bytes)
                except m.BadMessage as exc:
                    await self._refuse(CloseCode.BAD_MESSAGE, str(exc))
                    break
                await self._handle(message)
        finally:
            self._closed = True
            await self.room.detach(self)

    async def _next(self) -> object | None:
        """The next raw message; None once the channel is closed."""
        self._receiving = asyncio.ensure_future(self._channel.receive())
        try:
            await asyncio.wait({self._receiving})
        finally:
            receiving, self._receiving = self._receiving, None
            if not receiving.done():  # we are being cancelled ourselves
                receiving.cancel()
        if receiving.cancelled():
            return None
        error = receiving.exception()
        if isinstance(error, ChannelClosed):
            return None
        if error is not None:
            await self._refuse(CloseCode.BAD_MESSAGE, "message is not JSON")
            return None
        return receiving.result()

    async def _handle(self, message: m.ClientMessage) -> None:
        if isinstance(message, m.CONTROL_MESSAGES) and self.ticket.role is not Role.MEDIATOR:
            await self.send(m.ErrorNotice(reason=f"only the mediator may {message.type}"))
            return
        try:
            await self._dispatch(message)
        except ControlError as exc:
            await self.send(m.ErrorNotice(reason=str(exc)))
        except Exception:  # a bug or an aiortc surprise ends this connection, not the room
            logger.exception("%s message of %s failed", message.type, self.participant_id)
            await self.close(CloseCode.INTERNAL_ERROR, "internal error")

    async def _dispatch(self, message: m.ClientMessage) -> None:
        room, me = self.room, self.participant_id
        match message:
            case m.Offer(sdp=sdp):
                await self._offer(sdp)
            case m.Candidate():
                await self._candidate(message)
            case m.ChatSend(text=text):
                await room.chat(me, text)
            case m.Admit(participant=pid):
                await room.admit(pid, by=me)
            case m.Mute(participant=pid, muted=muted):
                await room.set_muted(pid, muted, by=me)
            case m.Remove(participant=pid):
                await room.remove(pid, by=me)
            case m.CaucusControl(side=side):
                await room.set_caucus(side, by=me)
            case m.EndRoom():
                await room.end("mediator", message="the mediator ended the session")
            case m.Leave():
                await self.close(CloseCode.NORMAL, "left")
            case m.Ping():
                await self.send(m.Pong())

    async def _offer(self, sdp: str) -> None:
        await self.drop_peer()  # a new offer is a new connection under the same seat
        peer = Peer(self.participant_id, build_configuration(self._settings.ice,
                                                             self.participant_id),
                    self._settings, self._peer_state)
        try:
            answer = await peer.accept(sdp)
        except BadOffer as exc:
            await peer.close()
            await self._refuse(CloseCode.BAD_MESSAGE, str(exc))
            return
        except NoCandidates:
            await peer.close()
            logger.error("no ICE candidate for %s: is the TURN server up, and its secret the "
                         "one in the settings?", self.participant_id)
            # Not the client's fault: it reconnects with backoff and offers again.
            await self.close(CloseCode.TRY_AGAIN_LATER, "media relay unavailable")
            return
        if self._closed:
            await peer.close()
            return
        self.peer = peer
        await self.send(m.Answer(sdp=answer))
        await self.room.peer_attached(self)

    async def _candidate(self, message: m.Candidate) -> None:
        if self.peer is None:
            return  # a late candidate of a connection that is gone
        try:
            await self.peer.add_candidate(message.candidate, message.sdpMid,
                                          message.sdpMLineIndex)
        except ValueError as exc:
            await self._refuse(CloseCode.BAD_MESSAGE, f"candidate: {exc}")

    def _peer_state(self, peer: Peer, state: str) -> None:
        if state == "connected":
            self.room.emit(EventKind.MEDIA_CONNECTED, self.participant_id)
        elif state in ("failed", "closed") and peer is self.peer:
            task = asyncio.get_running_loop().create_task(self._peer_lost(peer, state))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _peer_lost(self, peer: Peer, state: str) -> None:
        """ICE failed or the client closed DTLS: release the peer; the seat stays."""
        if peer is not self.peer:
            return
        self.peer = None
        await peer.close()
        self.room.emit(EventKind.MEDIA_LOST, self.participant_id, state=state)
        await self.room.refresh()
