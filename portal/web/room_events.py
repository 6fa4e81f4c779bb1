"""What happens in a video room, written to the session's records.

rtc calls the hook on the event loop and must not be blocked, so events are queued and one
task applies them in order, each in its own transaction in a worker thread: joins, leaves,
admissions, removals, chat, recordings, the start and the end of the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Container
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import rtc
from portal.mediation import room as mediation
from portal.mediation.models import (
    Audience,
    InviteeRole,
    MediationSession,
    SessionInvitee,
    SessionStatus,
    Side,
)
from portal.storage import Storage, get_storage, iter_reader, new_name
from portal.web.deps import in_db
from portal.web.room_access import meeting_of_room

log = logging.getLogger(__name__)

# Room end reasons that end the session itself ("shutdown" and "unused" do not: the room
# may open again after a restart).
ENDS_SESSION = frozenset({"mediator", "empty", "ended"})
RECORDINGS_PREFIX = "recordings"


def _invitee(session: Session, meeting: MediationSession, pid: object) -> SessionInvitee | None:
    if not isinstance(pid, str) or not pid.isdigit():
        return None
    invitee = session.get(SessionInvitee, int(pid))
    return invitee if invitee is not None and invitee.session_id == meeting.id else None


def chat_audience(invitee: SessionInvitee, data: dict[str, Any]) -> Audience | None:
    """Everyone's chat, or (caucus) the group the sender is in; None if it has no audience."""
    if not data.get("private"):
        return Audience.ALL
    if invitee.role is InviteeRole.MEDIATOR:
        side = data.get("caucus")
    else:
        # Outside the caucus a party writes to the other parties of its own side.
        side = invitee.side.value if invitee.side is not Side.NONE else None
    return Audience(side) if side in (Audience.APPLICANT, Audience.RESPONDENT) else None


def store_recordings(session: Session, meeting: MediationSession, files: list[dict[str, Any]],
                     storage: Storage) -> None:
    for item in files:
        path = Path(str(item.get("path", "")))
        invitee = _invitee(session, meeting, item.get("participant"))
        try:
            if invitee is None or not mediation.all_parties_consented(meeting):
                log.warning("recording %s of session %s discarded", path.name, meeting.id)
                continue
            saved = storage.save_sync(new_name(RECORDINGS_PREFIX, "webm"),
                                      iter_reader(path.open("rb")))
            if saved.sha256 != item.get("sha256"):
                log.error("recording %s changed between rtc and storage", path)
            mediation.add_recording(session, invitee=invitee, storage_name=saved.name,
                                    sha256=saved.sha256, size=saved.size,
                                    started_at=item["started_at"], ended_at=item.get("ended_at"))
            # The row and the file go together: commit before the temporary copy goes.
            session.commit()
        finally:
            path.unlink(missing_ok=True)


def apply(session: Session, event: rtc.RoomEvent, connected: Container[str],
          storage: Storage | None = None) -> None:
    """One event, in one transaction; ``connected`` lists the seats with a connection."""
    meeting_id = meeting_of_room(event.room_id)
    meeting = session.get(MediationSession, meeting_id) if meeting_id is not None else None
    if meeting is None:
        return
    kind, data, at = event.kind, dict(event.data), event.at
    invitee = _invitee(session, meeting, event.participant_id)
    by = _invitee(session, meeting, data.get("by"))
    host = by.user if by is not None and by.role is InviteeRole.MEDIATOR else None
    if kind is rtc.EventKind.JOINED and invitee is not None:
        if invitee.role is InviteeRole.MEDIATOR and meeting.status is SessionStatus.SCHEDULED:
            mediation.start(session, meeting=meeting, actor=meeting.mediator, now=at)
        if invitee.role is InviteeRole.MEDIATOR or invitee.admitted_at is not None:
            mediation.mark_joined(session, invitee=invitee, now=at)
    elif kind is rtc.EventKind.ADMITTED and invitee is not None and host is not None:
        mediation.admit(session, invitee=invitee, actor=host, now=at)
        if event.participant_id in connected:
            mediation.mark_joined(session, invitee=invitee, now=at)
    elif kind is rtc.EventKind.LEFT and invitee is not None:
        mediation.mark_left(session, invitee=invitee, now=at)
    elif kind is rtc.EventKind.REMOVED and invitee is not None and host is not None:
        if invitee.removed_at is None:
            mediation.remove(session, invitee=invitee, actor=host, now=at)
    elif kind is rtc.EventKind.CHAT and invitee is not None:
        audience = chat_audience(invitee, data)
        if audience is not None:
            mediation.add_chat(session, invitee=invitee, text=str(data.get("text", "")),
                               audience=audience, now=data.get("sent_at") or at)
    elif kind is rtc.EventKind.RECORDING_STOPPED:
        store_recordings(session, meeting, list(data.get("files", [])),
                         storage or get_storage())
    elif (kind is rtc.EventKind.ROOM_ENDED and data.get("reason") in ENDS_SESSION
          and meeting.status is SessionStatus.LIVE):
        actor = meeting.mediator if data.get("reason") == "mediator" else None
        mediation.end(session, meeting=meeting, actor=actor, now=at)


class RoomEventLog:
    """The hook given to ``rtc.RoomManager``; ``run`` in the lifespan applies the events."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[rtc.RoomEvent | None] = asyncio.Queue()
        self._connected: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None

    def __call__(self, event: rtc.RoomEvent) -> None:
        self._queue.put_nowait(event)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Apply what is queued, then stop."""
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None

    async def drain(self) -> None:
        """Wait until every event queued so far is applied (tests)."""
        await self._queue.join()

    async def _run(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                await self._apply(event)
            except Exception:  # one bad event must not stop the others from being kept
                log.exception("room event %s of %s not recorded", event.kind, event.room_id)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    async def _apply(self, event: rtc.RoomEvent) -> None:
        seats = self._connected.setdefault(event.room_id, set())
        if event.participant_id is not None:
            if event.kind is rtc.EventKind.JOINED:
                seats.add(event.participant_id)
            elif event.kind is rtc.EventKind.LEFT:
                seats.discard(event.participant_id)
        if event.kind is rtc.EventKind.ROOM_ENDED:
            self._connected.pop(event.room_id, None)
        await in_db(apply, event, frozenset(seats))
