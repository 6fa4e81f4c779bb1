"""Typed signaling messages, both directions; rtc/README.md documents the protocol."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

CHAT_MAX_CHARS = 2000
Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
SideLabel = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# Client to server.
class Offer(_Message):
    type: Literal["offer"]
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=60_000)]


class Candidate(_Message):
    type: Literal["candidate"]
    # Empty: end of candidates.
    candidate: Annotated[str, StringConstraints(max_length=1000)]
    sdpMid: Annotated[str, StringConstraints(max_length=32)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=256)] | None = None


class ChatSend(_Message):
    type: Literal["chat"]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=CHAT_MAX_CHARS)]


class Admit(_Message):
    type: Literal["admit"]
    participant: Id


class Mute(_Message):
    type: Literal["mute"]
    participant: Id
    muted: bool


class Remove(_Message):
    type: Literal["remove"]
    participant: Id


class CaucusControl(_Message):
    """Start a caucus with one side, or end it with ``side: null``."""

    type: Literal["caucus"]
    side: SideLabel | None


class EndRoom(_Message):
    type: Literal["end"]


class Leave(_Message):
    type: Literal["leave"]


class Ping(_Message):
    type: Literal["ping"]


ClientMessage = (Offer | Candidate | ChatSend | Admit | Mute | Remove | CaucusControl | EndRoom
                 | Leave | Ping)
CONTROL_MESSAGES = (Admit, Mute, Remove, CaucusControl, EndRoom)
_CLIENT_TYPES = frozenset(
    {"offer", "candidate", "chat", "admit", "mute", "remove", "caucus", "end", "leave", "ping"})
_CLIENT: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="type")])


class BadMessage(ValueError):
    """A message the server refuses; ``str(exc)`` is the reason given to the client."""


def parse_client_message(raw: object, *, max_bytes: int) -> ClientMessage:
    if not isinstance(raw, dict):
        raise BadMessage("a message must be a JSON object")
    try:
        size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode())
    except (TypeError, ValueError, RecursionError) as exc:
        raise BadMessage("a message must be plain JSON") from exc
    if size > max_bytes:
        raise BadMessage(f"message larger than {max_bytes} bytes")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _CLIENT_TYPES:
        shown = kind[:40] if isinstance(kind, str) else kind
        raise BadMessage(f"unknown message type {shown!r}")
    try:
        return _CLIENT.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"][1:]) or "message"
        raise BadMessage(f"{kind}: {where}: {error['msg']}") from exc


# Server to client.
class SeatInfo(_Message):
    participant: str
    name: str
    role: str
    side: str | None
    admitted: bool
    muted: bool
    connected: bool


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    room: str
    participant: str
    role: str
    side: str | None
    admitted: bool
    max_slots: int
    ice_servers: list[dict[str, object]]


class Answer(_Message):
    type: Literal["answer"] = "answer"
    sdp: str


class SlotInfo(_Message):
    slot: int
    audio_mid: str
    video_mid: str
    participant: str | None
    audio: bool
    video: bool


class SlotMap(_Message):
    type: Literal["slots"] = "slots"
    slots: list[SlotInfo]


class Participants(_Message):
    type: Literal["participants"] = "participants"
    participants: list[SeatInfo]


class Admission(_Message):
    type: Literal["admission"] = "admission"
    admitted: bool


class MuteState(_Message):
    type: Literal["muted"] = "muted"
    muted: bool


class CaucusNotice(_Message):
    """``included: false`` is the "please wait, private session" notice."""

    type: Literal["caucus"] = "caucus"
    active: bool
    side: str | None
    included: bool


class ChatRelay(_Message):
    type: Literal["chat"] = "chat"
    participant: str
    name: str
    text: str
    at: str
    private: bool


class RecordingNotice(_Message):
    type: Literal["recording"] = "recording"
    active: bool


class ErrorNotice(_Message):
    type: Literal["error"] = "error"
    reason: str


class Pong(_Message):
    type: Literal["pong"] = "pong"


QualityLevel = Literal["good", "fair", "poor"]


class SeatQuality(_Message):
    participant: str
    level: QualityLevel
    rtt_ms: float | None
    loss: float
    jitter_ms: float


class Quality(_Message):
    """The server's view of each visible seat's link, sent every ``quality_interval``."""

    type: Literal["quality"] = "quality"
    participants: list[SeatQuality]


ServerMessage = (Welcome | Answer | SlotMap | Participants | Admission | MuteState | CaucusNotice
                 | ChatRelay | RecordingNotice | ErrorNotice | Pong | Quality)
