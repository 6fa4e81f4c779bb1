from __future__ import annotations

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from rtc.ice import BUNDLE_POLICY
from rtc.offer import BadOffer, MediaLine, Slot, parse_offer

pytestmark = pytest.mark.anyio


async def offer(*, publish: str = "sendonly", slots: int = 2, extra_video: bool = False,
                data_channel: bool = False, slot_audio: int | None = None) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=BUNDLE_POLICY))
    try:
        pc.addTransceiver("audio", direction=publish)
        pc.addTransceiver("video", direction=publish)
        if extra_video:
            pc.addTransceiver("video", direction="sendrecv")
        for _ in range(slots if slot_audio is None else slot_audio):
            pc.addTransceiver("audio", direction="recvonly")
        for _ in range(slots):
            pc.addTransceiver("video", direction="recvonly")
        if data_channel:
            pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


async def test_publishing_lines_and_paired_receive_slots() -> None:
    layout = parse_offer(await offer(slots=2), max_slots=4)
    assert layout.lines[:2] == (MediaLine("audio", "0", True), MediaLine("video", "1", True))
    assert layout.slots == (Slot("2", "4"), Slot("3", "5"))
    assert layout.publish_mid("video") == "1"


async def test_a_participant_without_camera_or_microphone() -> None:
    layout = parse_offer(await offer(publish="inactive", slots=1), max_slots=4)
    assert layout.publish_mid("audio") == "0" and len(layout.slots) == 1


@pytest.mark.parametrize(("kwargs", "edit", "reason"), [
    ({}, lambda s: s.replace("a=group:BUNDLE", "a=x-group:BUNDLE"), "offer must bundle"),
    ({"data_channel": True}, None, "application m-lines are not supported"),
    ({"extra_video": True}, None, "offer publishes more than one video track"),
    ({"slot_audio": 1}, None, "receive slots need one recvonly audio and one recvonly video"),
    ({"slots": 5}, None, "at most 4 receive slots"),
    ({}, lambda s: s.replace("VP8/90000", "VP9/90000"), "video must offer vp8"),
    ({}, lambda s: s.replace("opus/48000", "speex/48000"), "audio must offer opus"),
    ({}, lambda s: s.replace("a=mid:1\r\n", "a=mid:0\r\n"), "offer repeats a mid"),
    ({}, lambda s: s.replace("a=recvonly", "a=sendme", 1), "unknown direction"),
    ({}, lambda s: s + "m=audio x\r\n", "offer SDP cannot be parsed"),
])
async def test_offers_that_cannot_be_served(kwargs: dict[str, object], edit: object,
                                            reason: str) -> None:
    text = await offer(**kwargs)  # type: ignore[arg-type]
    if callable(edit):
        text = edit(text)
    with pytest.raises(BadOffer) as caught:
        parse_offer(text, max_slots=4)
    assert str(caught.value).startswith(reason)
