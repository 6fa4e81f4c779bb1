"""Plain settings of the media server; the portal fills them from its own configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtc.ice import IceSettings


@dataclass(frozen=True)
class RtcSettings:
    ice: IceSettings = field(default_factory=IceSettings)
    # Receive slots a client may pre-create (participants it can see at once).
    max_slots: int = 8
    # Signaling flood control per connection: token bucket of ``message_burst`` tokens
    # refilled at ``message_rate`` per second (trickle ICE sends bursts of candidates).
    message_rate: float = 20.0
    message_burst: int = 60
    max_message_bytes: int = 64 * 1024
    # A room whose last participant left ends after this many seconds (a mediator whose
    # network dropped must find the room still there).
    empty_room_grace: float = 60.0
    # At most one key-frame request per publisher per interval.
    keyframe_interval: float = 0.5
    # Per-subscriber queues, in frames.
    video_queue: int = 8
    audio_queue: int = 25
    # Seconds between connection-quality reports (rtc/quality.py); 0 turns them off.
    quality_interval: float = 2.0
