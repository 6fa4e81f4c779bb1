"""The shape of an acceptable offer: what the participant publishes and its receive slots.

A client offers, in any order: at most one sending audio and one sending video m-line (its
microphone and camera; ``inactive`` when it has none), then N ``recvonly`` audio and N
``recvonly`` video m-lines. The k-th recvonly audio and k-th recvonly video form slot k.
Everything is bundled on one transport; video offers VP8, audio offers Opus.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import sdp

from rtc.frames import KINDS, Kind

_REQUIRED_CODEC: dict[str, str] = {"audio": "opus", "video": "vp8"}
_PUBLISH = ("sendonly", "sendrecv", "inactive")


class BadOffer(ValueError):
    """The offer cannot be served; the message is the reason sent to the client."""


@dataclass(frozen=True)
class MediaLine:
    kind: Kind
    mid: str
    publish: bool


@dataclass(frozen=True)
class Slot:
    audio_mid: str
    video_mid: str


@dataclass(frozen=True)
class OfferLayout:
    lines: tuple[MediaLine, ...]
    slots: tuple[Slot, ...]

    def publish_mid(self, kind: Kind) -> str | None:
        return next((m.mid for m in self.lines if m.publish and m.kind == kind), None)


def parse_offer(text: str, *, max_slots: int) -> OfferLayout:
    try:
        description = sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc's parser fails with asserts, KeyError, StopIteration...
        raise BadOffer("offer SDP cannot be parsed") from exc
    lines: list[MediaLine] = []
    for media in description.media:
        lines.append(_media_line(media))
    mids = [m.mid for m in lines]
    if len(set(mids)) != len(mids):
        raise BadOffer("offer repeats a mid")
    bundle = next((g for g in description.group if g.semantic == "BUNDLE"), None)
    if not lines or bundle is None or set(bundle.items) != set(mids):
        raise BadOffer("offer must bundle every m-line on one transport")
    for kind in KINDS:
        if sum(1 for m in lines if m.kind == kind and m.publish) > 1:
            raise BadOffer(f"offer publishes more than one {kind} track")
    audio = [m.mid for m in lines if m.kind == "audio" and not m.publish]
    video = [m.mid for m in lines if m.kind == "video" and not m.publish]
    if len(audio) != len(video):
        raise BadOffer("receive slots need one recvonly audio and one recvonly video each")
    if len(audio) > max_slots:
        raise BadOffer(f"at most {max_slots} receive slots")
    slots = tuple(Slot(a, v) for a, v in zip(audio, video, strict=True))
    return OfferLayout(tuple(lines), slots)


def _media_line(media: sdp.MediaDescription) -> MediaLine:
    if media.kind not in KINDS:
        raise BadOffer(f"{media.kind} m-lines are not supported")
    kind: Kind = "audio" if media.kind == "audio" else "video"
    mid = media.rtp.muxId
    if not mid or media.port == 0:
        raise BadOffer("every m-line needs a mid and a port")
    if media.direction not in (*_PUBLISH, "recvonly"):
        raise BadOffer(f"unknown direction {media.direction!r}")
    names = {codec.name.lower() for codec in media.rtp.codecs}
    if _REQUIRED_CODEC[kind] not in names:
        raise BadOffer(f"{kind} must offer {_REQUIRED_CODEC[kind]}")
    return MediaLine(kind, mid, media.direction in _PUBLISH)
