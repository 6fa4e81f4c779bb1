"""The video rooms of this process, owned by the app's lifespan: rtc's RoomManager, the
room passes and the log that writes room events to the sessions' records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

import rtc
from portal.config import ConfigurationError, Settings
from portal.web.room_events import RoomEventLog
from portal.web.rtc_channel import RoomPasses


def ice_settings(settings: Settings) -> rtc.IceSettings:
    """No ICE servers at all unless configured (aiortc would ask a public STUN server)."""
    try:
        return rtc.IceSettings(stun_urls=settings.rtc_stun_urls,
                               turn_urls=settings.rtc_turn_urls,
                               turn_secret=settings.rtc_turn_secret.get_secret_value(),
                               credential_ttl=settings.rtc_credential_ttl,
                               relay_only=settings.rtc_relay_only)
    except ValueError as exc:
        raise ConfigurationError(f"video room ICE settings (ODR_RTC_*): {exc}") from exc


def rtc_settings(settings: Settings) -> rtc.RtcSettings:
    return rtc.RtcSettings(ice=ice_settings(settings), max_slots=settings.rtc_max_slots)


@dataclass(frozen=True)
class VideoRooms:
    rooms: rtc.RoomManager
    passes: RoomPasses
    events: RoomEventLog
    # rtc writes recordings here; the event log moves them into the case's storage.
    recordings_dir: Path


@asynccontextmanager
async def video_rooms(app: Starlette, settings: Settings) -> AsyncIterator[VideoRooms]:
    """Rooms end (recordings finish) before the event log stops, so their last events —
    everyone leaving, the recordings — are still written."""
    events = RoomEventLog()
    events.start()
    try:
        async with rtc.RoomManager(rtc_settings(settings), on_event=events) as manager:
            app.state.video = VideoRooms(manager, RoomPasses(), events,
                                         settings.var_dir / "recordings")
            app.state.rooms = manager
            yield app.state.video
    finally:
        await events.stop()


def video_of(conn: HTTPConnection) -> VideoRooms:
    video = getattr(conn.app.state, "video", None)
    if not isinstance(video, VideoRooms):
        raise RuntimeError("video rooms are not running (the app's lifespan did not start)")
    return video
