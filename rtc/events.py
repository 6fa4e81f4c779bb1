"""What happened in a room, as plain data the portal persists (joins, leaves, chat, times)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    ROOM_OPENED = "room_opened"
    ROOM_ENDED = "room_ended"            # data: reason ("mediator", "empty", "shutdown", "ended")
    WAITING = "waiting"                  # a participant waits to be admitted
    ADMITTED = "admitted"
    JOINED = "joined"                    # data: reconnect (bool)
    LEFT = "left"
    MEDIA_CONNECTED = "media_connected"
    MEDIA_LOST = "media_lost"            # data: state ("failed", "closed"); the peer is released
    MUTED = "muted"                      # data: muted (bool), by
    REMOVED = "removed"                  # data: by
    REFUSED = "refused"                  # data: reason (connection refused before joining)
    PROTOCOL_ERROR = "protocol_error"    # data: reason, code (connection closed)
    CAUCUS_STARTED = "caucus_started"    # data: side
    CAUCUS_ENDED = "caucus_ended"        # data: side
    CHAT = "chat"                        # data: text, recipients, private, caucus
    RECORDING_STARTED = "recording_started"
    RECORDING_STOPPED = "recording_stopped"  # data: files [{participant, path, sha256, ...}]


@dataclass(frozen=True)
class RoomEvent:
    room_id: str
    kind: EventKind
    participant_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


EventHook = Callable[[RoomEvent], None]


def safe_emit(hook: EventHook | None, event: RoomEvent) -> None:
    """A failing hook is logged, never allowed to break a room."""
    if hook is None:
        return
    try:
        hook(event)
    except Exception:
        logger.exception("room event hook failed on %s", event.kind)
