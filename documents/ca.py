"""The platform's own certificate authority and time-stamping key, kept under one directory.

Layout (created on first use; private keys PKCS#8-encrypted with the caller's passphrase):
    root.key.pem  root.crt.pem      self-signed root, EC P-256
    tsa.key.pem   tsa.crt.pem       RFC 3161 time stamper, RSA (pyHanko's stamper is RSA-only)
    signers/<id>.key.pem  signers/<id>.crt.pem   one EC P-256 key and certificate per signer
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_ORGANISATION = "枫桥在线矛盾纠纷多元化解平台"
SIGNER_VALIDITY = dt.timedelta(days=730)
_RENEW_BEFORE = dt.timedelta(days=7)
_SIGNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class CAError(Exception):
    """The key store cannot be used (wrong passphrase, damaged files)."""


@dataclass(frozen=True)
class SignerCredentials:
    signer_id: str
    display_name: str
    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...]  # issuer certificates, root last


@dataclass(frozen=True)
class _KeyPair:
    key: PrivateKey
    cert: x509.Certificate


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, organisation: str, serial: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


class PlatformCA:
    """Root CA, TSA and per-signer certificates under `directory`.

    Safe across processes (a file lock guards creation) and threads; decrypted keys are cached
    in this object, so keep one instance per process.
    """

    def __init__(self, directory: Path | str, passphrase: bytes | str, *,
                 organisation: str = DEFAULT_ORGANISATION) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase.encode() if isinstance(passphrase, str) else passphrase
        if not self._passphrase:
            raise ValueError("a non-empty passphrase is required to protect the keys")
        self.organisation = organisation
        self._lock = threading.Lock()
        self._root: _KeyPair | None = None
        self._tsa: _KeyPair | None = None
        self._signers: dict[str, SignerCredentials] = {}

    @property
    def root_certificate(self) -> x509.Certificate:
        return self._root_pair().cert

    def trust_roots(self) -> list[x509.Certificate]:
        return [self.root_certificate]

    def tsa(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        pair = self._tsa_pair()
        assert isinstance(pair.key, rsa.RSAPrivateKey)
        return pair.cert, pair.key

    def signer(self, signer_id: str, display_name: str) -> SignerCredentials:
        """The signer's key and certificate; issued on first use, renewed near expiry."""
        if not _SIGNER_ID.fullmatch(signer_id):
            raise ValueError(f"signer id must match {_SIGNER_ID.pattern}: {signer_id!r}")
        with self._lock:
            cached = self._signers.get(signer_id)
            if cached and cached.display_name == display_name and self._fresh(cached.certificate):
                return cached
        root = self._root_pair()
        stem = f"signers/{signer_id}"
        with self._file_lock():
            pair = self._load(stem)
            cn = pair.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if pair else []
            if pair is None or not self._fresh(pair.cert) or cn[0].value != display_name:
                key = pair.key if pair else ec.generate_private_key(ec.SECP256R1())
                cert = self._issue_signer(root, key, signer_id, display_name)
                pair = _KeyPair(key, cert)
                self._store(stem, pair)
        creds = SignerCredentials(signer_id, display_name, pair.cert, pair.key, (root.cert,))
        with self._lock:
            self._signers[signer_id] = creds
        return creds

    # -- creation -------------------------------------------------------------------------

    def _root_pair(self) -> _KeyPair:
        if self._root is None:
            self._root = self._load_or_create("root", self._create_root)
        return self._root

    def _tsa_pair(self) -> _KeyPair:
        if self._tsa is None:
            root = self._root_pair()
            self._tsa = self._load_or_create("tsa", lambda: self._create_tsa(root))
        return self._tsa

    def _create_root(self) -> _KeyPair:
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(f"{self.organisation} 根证书", self.organisation)
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=365 * 20))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(ski, critical=False)
                .sign(key, hashes.SHA256()))
        return _KeyPair(key, cert)

    def _create_tsa(self, root: _KeyPair) -> _KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = self._leaf(root, key.public_key(), _name(f"{self.organisation} 时间戳服务",
                                                           self.organisation),
                             dt.timedelta(days=365 * 10))
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        return _KeyPair(key, builder.sign(root.key, hashes.SHA256()))

    def _issue_signer(self, root: _KeyPair, key: PrivateKey,
                      signer_id: str, display_name: str) -> x509.Certificate:
        builder = self._leaf(root, key.public_key(),
                             _name(display_name, self.organisation, signer_id), SIGNER_VALIDITY)
        return builder.sign(root.key, hashes.SHA256())

    def _leaf(self, root: _KeyPair, public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
              subject: x509.Name, validity: dt.timedelta) -> x509.CertificateBuilder:
        now = _now()
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(root.cert.subject)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + validity)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    root.cert.public_key()), critical=False))  # type: ignore[arg-type]

    @staticmethod
    def _fresh(cert: x509.Certificate) -> bool:
        return cert.not_valid_after_utc - _RENEW_BEFORE > _now()

    # -- storage --------------------------------------------------------------------------

    def _load_or_create(self, stem: str, create: Callable[[], _KeyPair]) -> _KeyPair:
        pair = self._load(stem)
        if pair is not None:
            return pair
        with self._file_lock():
            pair = self._load(stem)  # another process may have created it meanwhile
            if pair is None:
                pair = create()
                self._store(stem, pair)
            return pair

    def _load(self, stem: str) -> _KeyPair | None:
        key_path = self.directory / f"{stem}.key.pem"
        cert_path = self.directory / f"{stem}.crt.pem"
        if not (key_path.exists() and cert_path.exists()):
            return None
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), self._passphrase)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except (ValueError, TypeError) as exc:
            raise CAError(f"cannot open {key_path} (wrong passphrase or damaged file)") from exc
        if not isinstance(key, PrivateKey):
            raise CAError(f"unexpected key type in {key_path}")
        return _KeyPair(key, cert)

    def _store(self, stem: str, pair: _KeyPair) -> None:
        encryption = serialization.BestAvailableEncryption(self._passphrase)
        key_pem = pair.key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8, encryption)
        self._write(self.directory / f"{stem}.key.pem", key_pem, 0o600)
        self._write(self.directory / f"{stem}.crt.pem",
                    pair.cert.public_bytes(serialization.Encoding.PEM), 0o644)

    @staticmethod
    def _write(path: Path, data: bytes, mode: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
