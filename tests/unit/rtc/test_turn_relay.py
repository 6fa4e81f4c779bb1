"""Media through a real coturn: rtc/ice.py's TURN REST credentials and ``relay_only``, end to end.

A coturn subprocess on 127.0.0.1 (``use-auth-secret``) relays between two aiortc peers: the
"server", configured only by ``rtc.ice.build_configuration`` with ``relay_only=True``, and a
"browser" that publishes video and opens a data channel. Without /usr/bin/turnserver the tests
are skipped, except in CI (ODR_TEST_REQUIRE_SERVICES=1), where they fail.

The browser is relay-only too: its host candidates would be on eth0, and these tests send
traffic to loopback addresses only.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcicetransport import RTCIceTransport

from rtc.channel import CloseCode
from rtc.headless import PacketTrack
from rtc.ice import IceSettings, build_configuration
from rtc.peer import prefer_codecs
from rtc.seats import Role
from rtc.settings import RtcSettings
from tests.services import unavailable
from tests.unit.rtc.harness import FPS, eventually, harness, video_frames

pytestmark = pytest.mark.anyio

TURNSERVER = Path("/usr/bin/turnserver")
REALM = "odr.test"
RELAY_PORTS = 16  # one allocation per peer is all a test needs
CONNECT_TIMEOUT = 10.0
FRAMES = 10  # video frames the server must decode


@dataclass
class Coturn:
    port: int
    min_port: int
    max_port: int
    secret: str
    log: Path
    command: list[str]

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")



def _port_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _free_port() -> int:
    # coturn listens on UDP and TCP on the same port: both must be free.
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if _port_free(port):
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def _free_range(count: int) -> int:
    # Below Linux's ephemeral range (32768-60999), where aioice's own sockets land.
    for base in range(20000 + secrets.randbelow(100) * count, 32768 - count, count):
        if all(_port_free(p) for p in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path,
                    timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"turnserver exited with {process.returncode}:\n"
                               f"{log.read_text(errors='replace')}")
        # The TCP listener opens together with the UDP one.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"turnserver did not listen on {port} within {timeout} s:\n"
                       f"{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    if not TURNSERVER.exists():
        unavailable(f"{TURNSERVER} is not installed (apt-get install coturn)")
    directory = tmp_path_factory.mktemp("coturn")
    port, min_port = _free_port(), _free_range(RELAY_PORTS)
    server = Coturn(port=port, min_port=min_port, max_port=min_port + RELAY_PORTS - 1,
                    secret=secrets.token_hex(16), log=directory / "turnserver.log", command=[])
    server.command = [
        str(TURNSERVER), "-n",  # -n: no configuration file, only these options
        "--listening-ip=127.0.0.1", f"--listening-port={port}", "--relay-ip=127.0.0.1",
        f"--min-port={server.min_port}", f"--max-port={server.max_port}",
        "--use-auth-secret", f"--static-auth-secret={server.secret}", f"--realm={REALM}",
        "--no-tls", "--no-dtls", "--no-cli", "--no-rfc5780",
        # Both relay addresses are on 127.0.0.1, which coturn refuses as a peer by default.
        "--allow-loopback-peers", "--no-multicast-peers",
        f"--userdb={directory / 'turndb'}", f"--pidfile={directory / 'turnserver.pid'}",
        "--log-file=stdout", "--verbose",
    ]
    with server.log.open("wb") as log:
        process = subprocess.Popen(server.command, cwd=directory, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_listening(process, port, server.log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _settings(coturn: Coturn, secret: str) -> IceSettings:
    return IceSettings(turn_urls=(coturn.url,), turn_secret=secret, credential_ttl=600,
                       relay_only=True)


def _candidate_types(sdp: str) -> list[str]:
    return re.findall(r"^a=candidate:.* typ (\w+)", sdp, flags=re.MULTILINE)


def _ice_transport(pc: RTCPeerConnection) -> RTCIceTransport:
    # max-bundle: every transceiver and the data channel share the first one.
    return pc.getTransceivers()[0].receiver.transport.transport


@dataclass
class Call:
    server: RTCPeerConnection
    browser: RTCPeerConnection
    channel: RTCDataChannel
    received: list[MediaStreamTrack]
    answer_sdp: str


async def _call(server_config: RTCConfiguration, browser_config: RTCConfiguration) -> Call:
    """The browser offers video and a data channel; the server echoes and answers."""
    server, browser = RTCPeerConnection(server_config), RTCPeerConnection(browser_config)
    received: list[MediaStreamTrack] = []
    server.on("track", received.append)

    @server.on("datachannel")
    def echo(channel: RTCDataChannel) -> None:
        channel.on("message", lambda message: channel.send(f"echo:{message}"))

    transceiver = browser.addTransceiver(
        PacketTrack("video", video_frames(), interval=1 / FPS), direction="sendonly")
    prefer_codecs(transceiver, "video")
    channel = browser.createDataChannel("chat")
    call = Call(server, browser, channel, received, "")
    try:
        # aiortc gathers all candidates before setLocalDescription returns: no trickle needed.
        await browser.setLocalDescription(await browser.createOffer())
        await server.setRemoteDescription(browser.localDescription)
        await server.setLocalDescription(await server.createAnswer())
        call.answer_sdp = server.localDescription.sdp
        await browser.setRemoteDescription(RTCSessionDescription(call.answer_sdp, "answer"))
    except BaseException:
        await _close(call)
        raise
    return call


async def _close(call: Call) -> None:
    await call.browser.close()
    await call.server.close()


async def _frames(track: MediaStreamTrack, count: int) -> int:
    got = 0
    try:
        while got < count:
            await track.recv()
            got += 1
    except MediaStreamError:
        pass
    return got


@pytest.mark.timeout(30)
async def test_relay_only_media_and_data_flow_through_coturn(coturn: Coturn) -> None:
    server_config = build_configuration(_settings(coturn, coturn.secret), "server")
    browser_config = build_configuration(_settings(coturn, coturn.secret), "browser")
    assert server_config.iceServers is not None
    username = server_config.iceServers[0].username
    assert username is not None and username.endswith(":server")

    call = await _call(server_config, browser_config)
    try:
        echoed: asyncio.Queue[object] = asyncio.Queue()
        call.channel.on("message", echoed.put_nowait)
        await eventually(lambda: call.server.connectionState == "connected",
                         CONNECT_TIMEOUT, "the relay-only server to connect")
        await eventually(lambda: call.channel.readyState == "open", CONNECT_TIMEOUT,
                         "the data channel to open")
        call.channel.send("hello")
        assert await asyncio.wait_for(echoed.get(), 5) == "echo:hello"

        await eventually(lambda: bool(call.received), 5, "the video track")
        assert await asyncio.wait_for(_frames(call.received[0], FRAMES), 5) == FRAMES

        # Relay-only: the answer offers relay candidates only, on coturn's relay range.
        types = _candidate_types(call.answer_sdp)
        assert types and set(types) == {"relay"}, call.answer_sdp
        ice = _ice_transport(call.server)
        local = ice.iceGatherer.getLocalCandidates()
        assert local and all(c.type == "relay" for c in local)
        assert all(c.ip == "127.0.0.1" and coturn.min_port <= c.port <= coturn.max_port
                   for c in local), local
        # The pair that carries the media (aioice keeps no public accessor for it).
        (pair,) = ice._connection._nominated.values()
        assert pair.local_candidate.type == "relay"
        relay_port = pair.local_candidate.port
        assert coturn.min_port <= relay_port <= coturn.max_port
    finally:
        await _close(call)

    # coturn logs each allocation's session with the REST API username it authenticated.
    log = coturn.log_text()
    assert f"Local relay addr: 127.0.0.1:{relay_port}" in log, log
    assert re.search(rf"session \d+: realm <{REALM}> user <{re.escape(username)}>: "
                     r"incoming packet ALLOCATE processed, success", log), log
    # When the closed allocation is deleted (about a second later), coturn reports what its
    # relay port received from the peer: the media, not only ICE checks, went through it.
    usage = re.compile(rf"peer usage: realm=<{REALM}>, username=<{re.escape(username)}>, "
                       r"rp=(\d+), rb=(\d+)")
    await eventually(lambda: usage.search(coturn.log_text()) is not None, 5,
                     "coturn's usage report of the server's allocation")
    found = usage.search(coturn.log_text())
    assert found is not None
    packets, octets = int(found[1]), int(found[2])
    assert packets >= FRAMES and octets >= FRAMES * 100, found[0]


@pytest.mark.timeout(30)
async def test_wrong_secret_gathers_no_relay_candidate_and_fails(coturn: Coturn) -> None:
    # Its own user name: both tests log to the same coturn within the same second.
    server_config = build_configuration(_settings(coturn, "not-" + coturn.secret), "intruder")
    browser_config = build_configuration(_settings(coturn, coturn.secret), "browser")
    assert server_config.iceServers is not None
    username = server_config.iceServers[0].username
    assert username is not None

    started = time.monotonic()
    call = await _call(server_config, browser_config)
    try:
        # coturn refused the allocation, so the relay-only server has no candidate at all.
        assert _candidate_types(call.answer_sdp) == [], call.answer_sdp
        assert _ice_transport(call.server).iceGatherer.getLocalCandidates() == []
        # The browser, left with nothing to check against, fails ICE. The server never does:
        # aiortc starts ICE only on a transport with local candidates, so its connectionState
        # stays "new"; rtc.peer.Peer therefore refuses to answer at all (the test below).
        await eventually(lambda: call.browser.connectionState == "failed", CONNECT_TIMEOUT,
                         "the browser to fail against a server with a wrong secret")
        assert call.server.connectionState != "connected"
        assert call.channel.readyState != "open"
    finally:
        await _close(call)
    assert time.monotonic() - started < CONNECT_TIMEOUT

    # coturn refused the minted username: a bad secret, not an unreachable server.
    log = coturn.log_text()
    assert re.search(rf"user <{re.escape(username)}>: incoming packet \w+ processed, "
                     r"error 401", log), log


async def test_the_media_server_asks_the_client_to_retry_when_the_relay_refuses(
        coturn: Coturn) -> None:
    """Without a candidate no connection can ever come up: the session says so at once."""
    settings = RtcSettings(ice=_settings(coturn, "not-" + coturn.secret))
    async with harness(settings) as h:
        client = await h.join("mediator", Role.MEDIATOR, media=False)
        with pytest.raises(AssertionError, match="connection closed"):
            await client.connect_media(timeout=CONNECT_TIMEOUT)
        assert client.close_code == CloseCode.TRY_AGAIN_LATER
        assert client.close_reason == "media relay unavailable"
    # With the right secret the same server answers (the refusal is about the relay).
    async with harness(RtcSettings(ice=_settings(coturn, coturn.secret))) as h:
        client = await h.join("mediator", Role.MEDIATOR, media=False)
        await client.connect_media(timeout=CONNECT_TIMEOUT)
        assert _candidate_types(client.latest("answer")["sdp"])
        assert set(_candidate_types(client.latest("answer")["sdp"])) == {"relay"}
