"""deploy/coturn as shipped: deploy/coturn/start.sh runs a real coturn on turnserver.conf.

tests/unit/deploy/test_compose.py reads the configuration; this module runs it. start.sh copies
the shipped file (``TURN_CONFIG``) into a private directory (``TMPDIR``), appends the secret and
the realm, and execs turnserver with the arguments it was given. The arguments carry only what
cannot work outside the container: loopback listeners on free ports instead of 3478/5349, a
temporary certificate, pid file and user database, and ``--verbose`` for the session log.
Everything that decides who may use the relay and where it may send (``use-auth-secret``, the
``denied-peer-ip`` ranges, ``no-multicast-peers``, ``fingerprint``, the relay port range) is
the shipped file's.

Precedence, from coturn 4.6.1's main(): the file is read first, then the command line, so a
command-line value replaces a single-valued option of the file (listening-port, cert, pidfile,
...), while list options (listening-ip, relay-ip, denied-peer-ip) add to the file's. The log
options are the exception: coturn applies the file's log-file after the command line's, so the
shipped ``log-file=stdout`` stays, and the tests read the process's stdout.

Two variants isolate the denied ranges: ``loopback_allowed`` adds ``--allow-loopback-peers``
(coturn refuses loopback peers by default, which would hide the 127.0.0.0/8 line), and
``control`` also drops the ``denied-peer-ip`` lines. Only the ranges differ between them. The
networks that must be refused are those the file's comment promises (PRIVATE below), not the
file's own list, so that a missing range fails: IPv6 ones included.

Without turnserver the tests are skipped, except in CI (ODR_TEST_REQUIRE_SERVICES=1), where
they fail. No packet leaves the host: peers are on loopback, and a CreatePermission (the probe
below) only changes the server's state.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol
from aiortc import RTCConfiguration, RTCPeerConnection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.config import PROJECT_ROOT
from rtc.ice import IceSettings, build_configuration, ice_servers
from tests.services import unavailable

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(20)]

COTURN = PROJECT_ROOT / "deploy" / "coturn"
START = COTURN / "start.sh"
SHIPPED = COTURN / "turnserver.conf"
REALM = "odr.test"
RELAY_RANGE = (49160, 49359)  # the shipped min-port/max-port, not overridden
NEGATIVE_WAIT = 3.0  # the control connects within about 0.2 s on loopback
CONNECT_TIMEOUT = 10.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Coturn:
    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    tls_port: int
    secret: str
    log: Path
    cert: Path
    ipv6: bool

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def config_copy(self) -> Path:
        # start.sh's private copy: "${TMPDIR:-/tmp}/turnserver.conf".
        return self.directory / "turnserver.conf"

    def url(self, host: str = "127.0.0.1") -> str:
        return f"turn:{host}:{self.port}?transport=udp"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")



def _bindable(family: socket.AddressFamily, host: str, port: int = 0) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(family, kind) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def _free_ports(ipv6: bool) -> int:
    """A port P with P+1: coturn listens on UDP and TCP, on 127.0.0.1 and ::1, and with two
    listening addresses also on P+1 (RFC 5780's alternative port, as it does in production)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if all(_bindable(socket.AF_INET, "127.0.0.1", p) and (
                not ipv6 or _bindable(socket.AF_INET6, "::1", p)) for p in (port, port + 1)):
            return port
    raise RuntimeError("no free ports on loopback")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, in place of /etc/coturn/certs (mounted from deploy/certs)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "turn.odr.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_listening(server: Coturn, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"start.sh/turnserver exited with {server.process.returncode}:"
                               f"\n{server.log_text()}")
        # The TCP listeners open together with the UDP ones.
        if _accepts(server.port) and _accepts(server.tls_port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"turnserver did not listen on {server.port} and {server.tls_port} "
                       f"within {timeout} s:\n{server.log_text()}")


def _run_start_sh(directory: Path, config: Path, *extra: str) -> Iterator[Coturn]:
    """deploy/coturn/start.sh itself, with the secret in its environment as in the container."""
    turnserver = shutil.which("turnserver")
    if turnserver is None:
        unavailable("turnserver is not installed (apt-get install coturn)")
    ipv6 = _bindable(socket.AF_INET6, "::1")
    cert, pkey = _self_signed(directory)
    port = tls_port = _free_ports(ipv6)
    while abs(tls_port - port) < 2:
        tls_port = _free_ports(ipv6)
    secret = secrets.token_urlsafe(24)
    loopback = ["127.0.0.1", "::1"] if ipv6 else ["127.0.0.1"]
    arguments = [
        # Lists: the file has none, so these are all (otherwise coturn listens and relays on
        # every address of the host, and would discover 192.0.2.x/fd00:: here).
        *(f"--listening-ip={ip}" for ip in loopback), *(f"--relay-ip={ip}" for ip in loopback),
        # Single values: these replace the file's 3478, 5349 and /etc/coturn/certs paths.
        f"--listening-port={port}", f"--tls-listening-port={tls_port}",
        f"--cert={cert}", f"--pkey={pkey}",
        # Not in the file; coturn's defaults (/var/run, /var/lib/turn) are the host's.
        f"--pidfile={directory / 'turnserver.pid'}", f"--userdb={directory / 'turndb'}",
        "--verbose",  # the session log (401, 403) that the tests read
        *extra,
    ]
    env = {"PATH": f"{Path(turnserver).parent}:/usr/bin:/bin",
           "ODR_RTC_TURN_SECRET": secret, "TURN_REALM": REALM,
           "TURN_CONFIG": str(config), "TMPDIR": str(directory)}
    log_path = directory / "turnserver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(["sh", str(START), *arguments], cwd=directory, env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = Coturn(process=process, directory=directory, port=port, tls_port=tls_port,
                    secret=secret, log=log_path, cert=cert, ipv6=ipv6)
    try:
        _wait_listening(server)
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    yield from _run_start_sh(tmp_path_factory.mktemp("shipped"), SHIPPED)


@pytest.fixture(scope="module")
def loopback_allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    # Only more permissive than the shipped file: the 127.0.0.0/8 line alone must refuse.
    yield from _run_start_sh(tmp_path_factory.mktemp("loopback-allowed"), SHIPPED,
                             "--allow-loopback-peers")


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """The loopback_allowed server without the denied-peer-ip lines: nothing else differs."""
    directory = tmp_path_factory.mktemp("control")
    lines = SHIPPED.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("denied-peer-ip=")]
    assert len(kept) < len(lines)
    config = directory / "no-denied-ranges.conf"
    config.write_text("".join(kept))
    yield from _run_start_sh(directory, config, "--allow-loopback-peers")


def _denied_ranges() -> list[str]:
    return [line.split("=", 1)[1] for line in SHIPPED.read_text().splitlines()
            if line.startswith("denied-peer-ip=")]


def _settings(server: Coturn, secret: str | None = None, host: str = "127.0.0.1") -> IceSettings:
    return IceSettings(turn_urls=(server.url(host),), turn_secret=secret or server.secret,
                       credential_ttl=600, relay_only=True)


def _candidates(sdp: str) -> list[tuple[str, int, str]]:
    return [(ip, int(port), kind) for ip, port, kind in re.findall(
        r"^a=candidate:\S+ \d \w+ \d+ (\S+) (\d+) typ (\w+)", sdp, flags=re.MULTILINE)]


async def _gathered(config: RTCConfiguration) -> list[tuple[str, int, str]]:
    """The candidates one relay-only peer gathers with ``config``."""
    pc = RTCPeerConnection(config)
    try:
        pc.createDataChannel("probe")
        # aiortc gathers every candidate before setLocalDescription returns.
        await pc.setLocalDescription(await pc.createOffer())
        return _candidates(pc.localDescription.sdp)
    finally:
        await pc.close()


def _session_errors(log: str, username: str) -> list[str]:
    return re.findall(rf"user <{re.escape(username)}>: incoming packet (\w+ processed, error "
                      r"\d+[^\n]*)", log)


# A TURN client that asks for permissions only: RFC 8656 CreatePermission, no data sent.
REQUESTED_ADDRESS_FAMILY = (0x0017, "REQUESTED-ADDRESS-FAMILY", stun.pack_unsigned,
                            stun.unpack_unsigned)


@asynccontextmanager
async def _turn_client(server: Coturn, host: str,
                       user: str) -> AsyncIterator[TurnClientUdpProtocol]:
    """aioice's TURN client protocol with rtc.ice's credentials, for single requests."""
    (ice,) = ice_servers(_settings(server, host=host), user)
    assert ice.username and ice.credential
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol((host, server.port), ice.username, ice.credential,
                                      lifetime=60, channel_refresh_time=500),
        remote_addr=(host, server.port),
        family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        yield protocol
    finally:
        transport.close()


async def _permissions(server: Coturn, peers: list[Address], *, host: str = "127.0.0.1",
                       user: str = "probe") -> dict[Address, int]:
    """{peer: 200 or the error code}, on one allocation of the peers' family."""
    async with _turn_client(server, host, user) as protocol:
        allocate = stun.Message(message_method=stun.Method.ALLOCATE,
                                message_class=stun.Class.REQUEST)
        allocate.attributes["LIFETIME"] = 60
        allocate.attributes["REQUESTED-TRANSPORT"] = 0x11000000  # UDP
        if peers[0].version == 6:
            # coturn relays on IPv4 unless asked (RFC 8656 section 18.1: 0x02 is IPv6).
            allocate.attributes["REQUESTED-ADDRESS-FAMILY"] = 0x02000000
        response, _ = await protocol.request_with_retry(allocate)
        try:
            relayed = ipaddress.ip_address(response.attributes["XOR-RELAYED-ADDRESS"][0])
            assert relayed.version == peers[0].version and relayed.is_loopback, relayed
            results = {}
            for peer in peers:
                request = stun.Message(message_method=stun.Method.CREATE_PERMISSION,
                                       message_class=stun.Class.REQUEST)
                request.attributes["XOR-PEER-ADDRESS"] = (str(peer), 0)
                try:
                    await protocol.request_with_retry(request)
                    results[peer] = 200
                except stun.TransactionFailed as exc:
                    results[peer] = exc.response.error_code or 0
            return results
        finally:
            await protocol.delete()


@pytest.fixture
def _stun_family(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioice does not know REQUESTED-ADDRESS-FAMILY; an IPv6 relay needs it.
    monkeypatch.setitem(stun.ATTRIBUTES_BY_NAME, REQUESTED_ADDRESS_FAMILY[1],
                        REQUESTED_ADDRESS_FAMILY)
    monkeypatch.setitem(stun.ATTRIBUTES_BY_TYPE, REQUESTED_ADDRESS_FAMILY[0],
                        REQUESTED_ADDRESS_FAMILY)


# --- start.sh and the file as coturn reads them ---------------------------------------------


def test_start_sh_keeps_the_secret_out_of_argv_and_coturn_accepts_every_line(
        shipped: Coturn) -> None:
    # sh exec'd turnserver: the process started for start.sh is turnserver now.
    assert Path(f"/proc/{shipped.pid}/exe").resolve().name == "turnserver"
    argv = Path(f"/proc/{shipped.pid}/cmdline").read_bytes().split(b"\0")
    assert argv[:3] == [b"turnserver", b"-c", str(shipped.config_copy).encode()], argv
    assert shipped.secret.encode() not in b"\0".join(argv)
    # The secret is in the private copy only: the shipped file plus what start.sh appends.
    assert shipped.config_copy.stat().st_mode & 0o777 == 0o600
    assert shipped.config_copy.read_text() == (
        SHIPPED.read_text() + f"static-auth-secret={shipped.secret}\nrealm={REALM}\n")
    assert shipped.secret not in SHIPPED.read_text()

    log = shipped.log_text()
    for complaint in ("Bad configuration format", "CONFIG ERROR", "CONFIGURATION ALERT",
                      "Unknown argument", "cannot find"):
        assert complaint not in log, log
    # Every range of the file is in force.
    listed = set(re.findall(r"Black listing: (\S+)", log))
    assert listed == set(_denied_ranges()), log


def test_the_tls_listener_serves_the_certificate_given_on_the_command_line(
        shipped: Coturn) -> None:
    # cert=/pkey= of the file point into the container; the command line's replace them.
    context = ssl.create_default_context(cafile=str(shipped.cert))
    with socket.create_connection(("127.0.0.1", shipped.tls_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        served = tls.getpeercert(binary_form=True)
    assert served == ssl.PEM_cert_to_DER_cert(shipped.cert.read_text())


async def test_every_answer_carries_a_fingerprint(shipped: Coturn) -> None:
    # aioice adds FINGERPRINT to authenticated requests, and coturn answers those in kind:
    # only an answer to a request without one shows the shipped "fingerprint" line.
    async with _turn_client(shipped, "127.0.0.1", "fingerprint") as protocol:
        binding = stun.Message(message_method=stun.Method.BINDING,
                               message_class=stun.Class.REQUEST)
        answer, _ = await protocol.request(binding)
        assert "FINGERPRINT" not in binding.attributes
        assert "FINGERPRINT" in answer.attributes, answer


# --- use-auth-secret with rtc.ice's credentials ---------------------------------------------


async def test_rtc_ice_credentials_allocate_a_relay_in_the_shipped_port_range(
        shipped: Coturn) -> None:
    config = build_configuration(_settings(shipped), "allocating")
    assert config.iceServers is not None
    username = config.iceServers[0].username
    candidates = await _gathered(config)
    assert candidates and {kind for _, _, kind in candidates} == {"relay"}, candidates
    for ip, port, _ in candidates:
        assert ip == "127.0.0.1" and RELAY_RANGE[0] <= port <= RELAY_RANGE[1], candidates
    assert re.search(rf"realm <{REALM}> user <{re.escape(str(username))}>: incoming packet "
                     r"ALLOCATE processed, success", shipped.log_text()), shipped.log_text()


async def test_a_wrong_secret_gets_no_relay(shipped: Coturn) -> None:
    config = build_configuration(_settings(shipped, "not-" + shipped.secret), "intruder")
    assert config.iceServers is not None
    username = str(config.iceServers[0].username)
    assert await _gathered(config) == []
    # Refused for the credential (not unreachable): the minted username, answered 401.
    errors = _session_errors(shipped.log_text(), username)
    assert errors and all("error 401" in e for e in errors), shipped.log_text()


# --- denied-peer-ip ---------------------------------------------------------------------------


async def _call(server: Coturn, user: str) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    """Two relay-only peers through one coturn: every path is relay to relay, on 127.0.0.1."""
    offerer = RTCPeerConnection(build_configuration(_settings(server), f"{user}-offer"))
    answerer = RTCPeerConnection(build_configuration(_settings(server), f"{user}-answer"))
    try:
        offerer.createDataChannel("probe")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)
        for pc in (offerer, answerer):
            # Both got their allocation: what follows is about the peer, not the credentials.
            kinds = {kind for _, _, kind in _candidates(pc.localDescription.sdp)}
            assert kinds == {"relay"}, pc.localDescription.sdp
    except BaseException:
        await offerer.close()
        await answerer.close()
        raise
    return offerer, answerer


async def _connected_within(pcs: tuple[RTCPeerConnection, ...], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(pc.connectionState == "connected" for pc in pcs):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.timeout(25)  # at worst 10 s for the control, then 10 s for the others
async def test_relay_only_peers_on_loopback_connect_only_without_the_denied_ranges(
        shipped: Coturn, loopback_allowed: Coturn, control: Coturn) -> None:
    calls: list[tuple[RTCPeerConnection, RTCPeerConnection]] = []
    try:
        for server, name in ((shipped, "shipped"), (loopback_allowed, "loopback-allowed"),
                             (control, "control")):
            calls.append(await _call(server, name))
        # The control first: it proves these peers, this coturn and these credentials work.
        started = time.monotonic()
        assert await _connected_within(calls[2], CONNECT_TIMEOUT), [
            pc.connectionState for pc in calls[2]]
        # The others, started before it, get three times as long (3 to 10 s).
        wait = min(CONNECT_TIMEOUT, max(NEGATIVE_WAIT, 3 * (time.monotonic() - started)))
        connected = await asyncio.gather(*(_connected_within(call, wait) for call in calls[:2]))
        assert connected == [False, False], [[pc.connectionState for pc in c] for c in calls]
    finally:
        for pc in (pc for call in calls for pc in call):
            await pc.close()

    # coturn refused the peers' permissions: "403 Forbidden IP". With the shipped file the
    # loopback rule answers first, silently; with loopback peers allowed, the range does.
    for server, name in ((shipped, "shipped"), (loopback_allowed, "loopback-allowed")):
        log = server.log_text()
        errors = [e for side in ("offer", "answer")
                  for e in _session_errors(log, _username(log, f"{name}-{side}"))]
        assert errors and all(re.fullmatch(r"(CREATE_PERMISSION|CHANNEL_BIND|message) processed, "
                                           r"error 403: Forbidden IP", e) for e in errors), log
    assert "A peer IP 127.0.0.1 denied in the range: 127.0.0.0-127.255.255.255" in (
        loopback_allowed.log_text())
    assert "denied in the range" not in control.log_text()
    assert not _session_errors(control.log_text(), _username(control.log_text(),
                                                             "control-offer"))


def _username(log: str, user: str) -> str:
    found = re.search(rf"user <(\d+:{re.escape(user)})>", log)
    assert found, f"{user} not in the log:\n{log}"
    return found[1]


# What the file's comment promises: no relaying into private networks. The IPv4 blocks are
# the special-purpose ones of RFC 6890 that are private, shared, loopback or link-local; IPv6
# has loopback, unique local (the usual IPv6 LAN) and link-local.
PRIVATE = {
    4: ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16"],
    6: ["::1/128", "fc00::/7", "fe80::/10"],
}
EXTRA_PRIVATE = {4: [], 6: ["fd00::2"]}  # this very test host's eth0 address
MULTICAST = {4: ["224.0.0.1", "255.255.255.255"], 6: ["ff02::1"]}  # no-multicast-peers
PUBLIC = {4: ["192.0.2.1", "198.51.100.7"], 6: ["2001:db8::1", "2606:4700::1111"]}


def _refused_by_coturn_itself(address: Address) -> bool:
    # coturn 4.6 refuses all of 0.0.0.0/8 whatever the ranges (the control shows it).
    return address.version == 4 and int(address) >> 24 == 0


def _probes(version: int) -> tuple[list[Address], list[Address]]:
    """(both ends of each private network, and their neighbours just outside it)."""
    networks = [ipaddress.ip_network(n) for n in PRIVATE[version]]
    inside: list[Address] = [ipaddress.ip_address(a) for a in EXTRA_PRIVATE[version]]
    outside: list[Address] = []
    for network in networks:
        inside += [network[0], network[-1]]
        for neighbour in (int(network[0]) - 1, int(network[-1]) + 1):
            if 0 <= neighbour < 2 ** network.max_prefixlen:
                address = ipaddress.ip_address(neighbour)
                if not any(address in n for n in networks) and not address.is_multicast and (
                        not _refused_by_coturn_itself(address)):
                    outside.append(address)
    return inside, outside


@pytest.mark.usefixtures("_stun_family")
@pytest.mark.parametrize("version", [4, 6])
async def test_private_networks_are_refused_exactly_and_by_the_denied_ranges(
        version: int, shipped: Coturn, loopback_allowed: Coturn, control: Coturn) -> None:
    if version == 6 and not shipped.ipv6:
        unavailable("no IPv6 loopback (::1) on this host")
    host = "127.0.0.1" if version == 4 else "::1"
    inside, outside = _probes(version)
    multicast = [ipaddress.ip_address(a) for a in MULTICAST[version]]
    public = [ipaddress.ip_address(a) for a in PUBLIC[version]]
    peers = inside + outside + multicast + public
    results = {name: await _permissions(server, peers, host=host, user=f"probe{version}-{name}")
               for name, server in (("shipped", shipped), ("loopback-allowed", loopback_allowed),
                                    ("control", control))}

    def answers(name: str, addresses: list[Address]) -> dict[Address, int]:
        return {a: results[name][a] for a in addresses}

    for name in ("shipped", "loopback-allowed"):
        assert answers(name, inside) == dict.fromkeys(inside, 403), name
        # No range wider than meant: the neighbours, and public peers, are allowed.
        assert answers(name, outside + public) == dict.fromkeys(outside + public, 200), name
        assert answers(name, multicast) == dict.fromkeys(multicast, 403), name
    # The ranges are what refuse: without them each network is open, except 0.0.0.0/8, which
    # coturn refuses by itself; multicast stays refused by no-multicast-peers.
    own = [a for a in inside if _refused_by_coturn_itself(a)]
    opened = [a for a in inside if a not in own]
    assert answers("control", opened) == dict.fromkeys(opened, 200)
    assert answers("control", own + multicast) == dict.fromkeys(own + multicast, 403)
    # coturn names the range: "A peer IP 10.0.0.0 denied in the range: 10.0.0.0-10.255.255.255".
    log = loopback_allowed.log_text()
    for address in opened:
        assert re.search(rf"A peer IP {re.escape(str(address))} denied in the range: "
                         rf"({'|'.join(map(re.escape, _denied_ranges()))})\n", log), address
