"""A participant's place in a room. Room, caucus and mute state belong to the seat, never to
a connection, so a participant who reconnects finds them unchanged."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Role(enum.StrEnum):
    MEDIATOR = "mediator"
    PARTY = "party"
    OBSERVER = "observer"


@dataclass(frozen=True)
class Ticket:
    """Who the web layer has authorised to connect: it checked identity, invitation, token."""

    room_id: str
    participant_id: str
    role: Role
    # A party's side ("applicant", "respondent", ...): caucus groups seats by it.
    side: str | None = None
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role is Role.PARTY and not self.side:
            raise ValueError("a party needs a side")


@dataclass
class Seat:
    participant_id: str
    role: Role
    side: str | None
    display_name: str
    admitted: bool
    muted: bool = False
    removed: bool = False
    connected: bool = False
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def publishes(self) -> bool:
        return self.role is not Role.OBSERVER

    @property
    def active(self) -> bool:
        """In the room right now: admitted, connected and not removed."""
        return self.admitted and self.connected and not self.removed
