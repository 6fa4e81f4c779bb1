"""Applying the routes to live peers: which publisher each receive slot carries, and what."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rtc import messages as m
from rtc import routing
from rtc.frames import KINDS
from rtc.peer import Peer
from rtc.seats import Role, Seat


def wire(seats: Iterable[Seat], caucus: str | None, peers: Mapping[str, Peer | None],
         previous: Mapping[str, list[m.SlotInfo]]) -> dict[str, list[m.SlotInfo]]:
    """Bind every subscriber's slot tracks to the publishers it may receive now.

    Returns the slot map of every subscriber with a peer. Slots are stable: a publisher keeps
    its slot while it stays reachable; mediators come first, then seats in joining order.
    """
    seats = list(seats)
    routes = routing.routes(seats, caucus)
    order = sorted(seats, key=lambda s: (s.role is not Role.MEDIATOR, s.joined_at))
    maps: dict[str, list[m.SlotInfo]] = {}
    for pid, peer in peers.items():
        if peer is None:
            continue
        wanted = [s.participant_id for s in order
                  if any((s.participant_id, pid, k) in routes for k in KINDS)]
        current = [info.participant for info in previous.get(pid, [])]
        assigned = routing.assign_slots(current, wanted, len(peer.slots))
        infos = []
        for slot, publisher in zip(peer.slots, assigned, strict=True):
            source = peers.get(publisher) if publisher is not None else None
            flags = {}
            for kind in KINDS:
                allowed = publisher is not None and (publisher, pid, kind) in routes
                slot.track(kind).bind(source.fanout(kind) if allowed and source else None)
                flags[kind] = allowed
            infos.append(m.SlotInfo(slot=slot.index, audio_mid=slot.audio_mid,
                                    video_mid=slot.video_mid, participant=publisher,
                                    audio=flags["audio"], video=flags["video"]))
        maps[pid] = infos
    return maps
