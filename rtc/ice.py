"""ICE servers from plain settings, with TURN REST API credentials.

With no STUN or TURN URL configured the configuration has *no* ICE servers: aiortc would
otherwise fall back to a public Google STUN server, which development and test machines
cannot (and should not) reach.

UDP port range: aiortc 1.16 (aioice 0.13) binds host candidates to ephemeral ports and has
no port-range option. Behind NAT or in docker-compose, publish media through coturn instead:
coturn's ``min-port``/``max-port`` bound the relay ports, and ``relay_only`` makes this server
use only relayed candidates (see rtc/README.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy


@dataclass(frozen=True)
class IceSettings:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    # coturn ``static-auth-secret`` (``use-auth-secret``): time-limited credentials per user.
    turn_secret: str = field(default="", repr=False)
    # Or fixed credentials (coturn ``user=``), for a TURN server without the REST API.
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)
    credential_ttl: int = 6 * 3600
    relay_only: bool = False

    def __post_init__(self) -> None:
        for url in self.stun_urls:
            if not url.startswith(("stun:", "stuns:")):
                raise ValueError(f"not a STUN URL: {url!r}")
        for url in self.turn_urls:
            if not url.startswith(("turn:", "turns:")):
                raise ValueError(f"not a TURN URL: {url!r}")
        if self.turn_urls and not (self.turn_secret or self.turn_username):
            raise ValueError("TURN needs turn_secret or turn_username/turn_password")
        if self.relay_only and not self.turn_urls:
            raise ValueError("relay_only needs a TURN server")
        if self.credential_ttl <= 0:
            raise ValueError("credential_ttl must be positive")


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = field(default=None, repr=False)

    def as_browser_dict(self) -> dict[str, Any]:
        """The shape of one entry of the browser's ``RTCConfiguration.iceServers``."""
        entry: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            entry["username"] = self.username
            entry["credential"] = self.credential
        return entry


def turn_rest_credentials(secret: str, user: str, *, ttl: int,
                          now: float | None = None) -> tuple[str, str]:
    """coturn's REST API: username ``expiry:user``, credential base64(HMAC-SHA1(secret, name))."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(settings: IceSettings, user: str, *, now: float | None = None) -> list[IceServer]:
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(settings.stun_urls))
    if settings.turn_urls:
        if settings.turn_secret:
            username, credential = turn_rest_credentials(
                settings.turn_secret, user, ttl=settings.credential_ttl, now=now)
        else:
            username, credential = settings.turn_username, settings.turn_password
        servers.append(IceServer(settings.turn_urls, username, credential))
    return servers


def build_configuration(settings: IceSettings, user: str, *,
                        now: float | None = None) -> RTCConfiguration:
    """The server side's RTCConfiguration; an explicit empty list when nothing is configured."""
    servers = [RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
               for s in ice_servers(settings, user, now=now)]
    policy = RTCIceTransportPolicy.RELAY if settings.relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy,
                            bundlePolicy=BUNDLE_POLICY)


# aiortc's "balanced" policy puts transceivers made before the remote description on one
# transport per kind and then fails to move the second and later ones of a kind onto the
# BUNDLE transport: their media never flows. "max-bundle" shares one transport from the start.
BUNDLE_POLICY = RTCBundlePolicy.MAX_BUNDLE
