"""Video mediation media server (aiortc). Imports nothing from portal; see rtc/README.md."""

from rtc.channel import ChannelClosed, CloseCode, SignalingChannel
from rtc.events import EventHook, EventKind, RoomEvent
from rtc.ice import IceSettings, build_configuration, ice_servers, turn_rest_credentials
from rtc.manager import RoomManager
from rtc.recording import Recording
from rtc.room import ControlError, Room
from rtc.seats import Role, Ticket
from rtc.settings import RtcSettings

__all__ = [
    "ChannelClosed",
    "CloseCode",
    "ControlError",
    "EventHook",
    "EventKind",
    "IceSettings",
    "Recording",
    "Role",
    "Room",
    "RoomEvent",
    "RoomManager",
    "RtcSettings",
    "SignalingChannel",
    "Ticket",
    "build_configuration",
    "ice_servers",
    "turn_rest_credentials",
]
