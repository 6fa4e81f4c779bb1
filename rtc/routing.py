"""Who hears and sees whom: decided here, on the server, never by a browser.

Pure functions of the seats and the caucus, so the rules are tested without any media.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rtc.frames import KINDS, Kind
from rtc.seats import Role, Seat


class Route(NamedTuple):
    publisher: str
    subscriber: str
    kind: Kind


def group(seat: Seat, caucus: str | None) -> str:
    """In a caucus the mediators and the caucus side form one group, everyone else another."""
    if caucus is None:
        return "room"
    if seat.role is Role.MEDIATOR or seat.side == caucus:
        return "caucus"
    return "outside"


def routes(seats: Iterable[Seat], caucus: str | None) -> frozenset[Route]:
    """Every (publisher, subscriber, kind) the server forwards."""
    active = [s for s in seats if s.active]
    found: set[Route] = set()
    for pub in active:
        if not pub.publishes:
            continue
        for sub in active:
            if sub is pub or group(pub, caucus) != group(sub, caucus):
                continue
            for kind in KINDS:
                if kind == "audio" and pub.muted:
                    continue
                found.add(Route(pub.participant_id, sub.participant_id, kind))
    return frozenset(found)


def chat_recipients(sender: Seat, seats: Iterable[Seat], caucus: str | None) -> list[str]:
    """Chat reaches the active seats of the sender's group, the sender included."""
    return [s.participant_id for s in seats
            if s.active and group(s, caucus) == group(sender, caucus)]


def visible(viewer: Seat, seats: Iterable[Seat], caucus: str | None) -> list[str]:
    """The active seats whose live state (connection quality) the viewer may learn: those of
    its own group, so the side outside a caucus learns nothing of it; a mediator sees all."""
    if not viewer.admitted or viewer.removed:
        return []
    if viewer.role is Role.MEDIATOR:
        return [s.participant_id for s in seats if s.active]
    return chat_recipients(viewer, seats, caucus)


def assign_slots(current: Sequence[str | None], wanted: Sequence[str],
                 size: int) -> tuple[str | None, ...]:
    """Stable slot assignment: a publisher keeps its slot while it stays wanted.

    ``wanted`` is in priority order; publishers beyond ``size`` slots are left out.
    """
    keep = set(wanted)
    slots: list[str | None] = [p if p in keep else None for p in list(current)[:size]]
    slots += [None] * (size - len(slots))
    placed = {p for p in slots if p is not None}
    free = (i for i, p in enumerate(slots) if p is None)
    for publisher in wanted:
        if publisher in placed:
            continue
        index = next(free, None)
        if index is None:
            break
        slots[index] = publisher
    return tuple(slots)
