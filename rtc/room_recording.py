"""The recordings of one room: a WebmRecorder per publishing seat while recording is on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from rtc.frames import KINDS
from rtc.peer import Peer
from rtc.recording import Recording, WebmRecorder
from rtc.seats import Seat


class RoomRecorders:
    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.directory: Path | None = None
        self._recorders: dict[str, WebmRecorder] = {}

    @property
    def active(self) -> bool:
        return self.directory is not None

    def sync(self, seats: Mapping[str, Seat], peers: Mapping[str, Peer | None]) -> None:
        """Record every active publishing seat from its current peer; muted audio is not."""
        if self.directory is None:
            return
        for pid, seat in seats.items():
            recorder = self._recorders.get(pid)
            if recorder is None:
                if not (seat.active and seat.publishes):
                    continue
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
                path = self.directory / f"{self.room_id}-{pid}-{stamp}.webm"
                recorder = self._recorders[pid] = WebmRecorder(pid, path)
            peer = peers.get(pid) if seat.active else None
            for kind in KINDS:
                send = peer is not None and (kind == "video" or not seat.muted)
                recorder.bind(kind, peer.fanout(kind) if send and peer is not None else None)

    async def stop_seat(self, participant_id: str) -> list[Recording]:
        recorder = self._recorders.pop(participant_id, None)
        result = await recorder.stop() if recorder is not None else None
        return [result] if result is not None else []

    async def stop(self) -> list[Recording]:
        self.directory = None
        recorders, self._recorders = list(self._recorders.values()), {}
        return [r for r in [await rec.stop() for rec in recorders] if r is not None]
