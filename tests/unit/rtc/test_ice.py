from __future__ import annotations

import pytest
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from rtc.ice import IceSettings, build_configuration, ice_servers, turn_rest_credentials


def test_turn_rest_credentials_match_coturn() -> None:
    # Checked with: echo -n "1003600:alice" | openssl dgst -sha1 -hmac north -binary | base64
    assert turn_rest_credentials("north", "alice", ttl=3600, now=1_000_000) == (
        "1003600:alice", "udLEuyyDOwk3mLEbdxPxYtNXKVA=")


def test_nothing_configured_means_no_ice_servers_at_all() -> None:
    config = build_configuration(IceSettings(), "alice")
    # An empty list, not None: None would make aiortc ask Google's public STUN server.
    assert config.iceServers == []
    assert config.bundlePolicy is RTCBundlePolicy.MAX_BUNDLE
    assert ice_servers(IceSettings(), "alice") == []


def test_stun_and_turn_with_time_limited_credentials() -> None:
    settings = IceSettings(stun_urls=("stun:turn.example.org:3478",),
                           turn_urls=("turn:turn.example.org:3478?transport=udp",
                                      "turns:turn.example.org:5349?transport=tcp"),
                           turn_secret="north", credential_ttl=3600, relay_only=True)
    config = build_configuration(settings, "alice", now=1_000_000)
    assert config.iceTransportPolicy is RTCIceTransportPolicy.RELAY
    assert config.iceServers is not None
    stun, turn = config.iceServers
    assert stun.urls == ["stun:turn.example.org:3478"] and stun.username is None
    assert turn.username == "1003600:alice"
    assert turn.credential == "udLEuyyDOwk3mLEbdxPxYtNXKVA="
    browser = [s.as_browser_dict() for s in ice_servers(settings, "alice", now=1_000_000)]
    assert browser[1] == {"urls": list(settings.turn_urls), "username": "1003600:alice",
                          "credential": "udLEuyyDOwk3mLEbdxPxYtNXKVA="}
    assert "north" not in repr(settings)


def test_static_turn_credentials() -> None:
    settings = IceSettings(turn_urls=("turn:t.example.org",), turn_username="u",
                           turn_password="p")
    (server,) = ice_servers(settings, "alice")
    assert (server.username, server.credential) == ("u", "p")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stun_urls": ("turn:x",)}, "not a STUN URL"),
    ({"turn_urls": ("stun:x",)}, "not a TURN URL"),
    ({"turn_urls": ("turn:x",)}, "TURN needs"),
    ({"relay_only": True}, "relay_only needs"),
    ({"credential_ttl": 0}, "credential_ttl"),
])
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IceSettings(**kwargs)  # type: ignore[arg-type]
