from __future__ import annotations

import pytest

from rtc import messages as m


def parse(raw: object) -> m.ClientMessage:
    return m.parse_client_message(raw, max_bytes=1000)


def test_client_messages_parse_into_types() -> None:
    assert parse({"type": "offer", "sdp": "v=0"}) == m.Offer(type="offer", sdp="v=0")
    assert parse({"type": "chat", "text": "  hello "}).text == "hello"  # type: ignore[union-attr]
    candidate = parse({"type": "candidate", "candidate": "", "sdpMid": "0"})
    assert isinstance(candidate, m.Candidate) and candidate.sdpMLineIndex is None
    assert parse({"type": "caucus", "side": None}) == m.CaucusControl(type="caucus", side=None)
    assert isinstance(parse({"type": "end"}), m.CONTROL_MESSAGES)
    assert not isinstance(parse({"type": "chat", "text": "x"}), m.CONTROL_MESSAGES)


@pytest.mark.parametrize(("raw", "reason"), [
    ("offer", "a message must be a JSON object"),
    ({"sdp": "x"}, "unknown message type None"),
    ({"type": "x" * 500}, "unknown message type '" + "x" * 40 + "'"),
    ({"type": "offer", "sdp": "x" * 2000}, "message larger than 1000 bytes"),
    ({"type": "offer", "sdp": ""}, "offer: sdp: String should have at least 1 character"),
    ({"type": "mute", "participant": "a", "muted": 1}, "mute: muted: Input should be a valid"),
    ({"type": "ping", "extra": 1}, "ping: extra: Extra inputs are not permitted"),
    ({"type": "admit", "participant": ""}, "admit: participant: String should have at least"),
    ({"type": "candidate", "candidate": "", "sdpMLineIndex": -1},
     "candidate: sdpMLineIndex: Input should be greater than or equal to 0"),
    ({"type": "chat", "text": float("nan")}, "a message must be plain JSON"),
])
def test_bad_messages_are_refused_with_a_reason(raw: object, reason: str) -> None:
    with pytest.raises(m.BadMessage) as caught:
        parse(raw)
    assert str(caught.value).startswith(reason)


def test_server_messages_serialise_to_plain_json() -> None:
    notice = m.CaucusNotice(active=True, side="applicant", included=False)
    assert notice.model_dump(mode="json") == {"type": "caucus", "active": True,
                                              "side": "applicant", "included": False}
