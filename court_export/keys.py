"""EC P-256 signing keys with key ids, kept in a directory that survives rotation.

A key directory holds ``<kid>.pem`` (private, PKCS#8, encrypted when a passphrase is given),
``<kid>.pub.pem`` and ``current`` (the kid that signs now). Rotation adds a key and moves
``current``; old public keys stay, so packages and notices signed earlier still verify.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from court_export.errors import KeyStoreError

__all__ = [
    "KeyStoreError",
    "SigningKey",
    "generate_signing_key",
    "jwk_thumbprint",
    "load_or_create_key",
    "load_public_keys",
    "rotate_key",
]

# A kid names files, so it is kept to the base64url alphabet (an RFC 7638 thumbprint fits).
KID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
CURRENT = "current"
PUBLIC_SUFFIX = ".pub.pem"


@dataclass(frozen=True)
class SigningKey:
    """An EC P-256 private key (unencrypted PKCS#8 PEM, in memory only) and its key id."""

    kid: str
    private_pem: bytes = field(repr=False)

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.private_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise KeyStoreError("a signing key must be an EC P-256 key")
        return key

    def public_pem(self) -> bytes:
        return self.private_key().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(public_pem: bytes) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an EC P-256 public key."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise KeyStoreError("a thumbprint is only computed for EC P-256 keys")
    numbers = key.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC",
           "x": _b64url(numbers.x.to_bytes(32, "big")), "y": _b64url(numbers.y.to_bytes(32, "big"))}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def _check_kid(kid: str) -> str:
    if not KID_RE.fullmatch(kid):
        raise KeyStoreError(f"key id {kid!r} is not 1-128 characters of [A-Za-z0-9_-]")
    return kid


def generate_signing_key(kid: str | None = None) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return SigningKey(_check_kid(kid) if kid is not None else jwk_thumbprint(public), pem)


def _write_new(path: Path, data: bytes, mode: int) -> Path:
    """Write a uniquely named temporary file beside ``path``, synced; returns its path."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _replace(path: Path, data: bytes, mode: int = 0o644) -> None:
    os.replace(_write_new(path, data, mode), path)


def _store(directory: Path, key: SigningKey, passphrase: bytes | None) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    private = key.private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    _replace(directory / f"{key.kid}.pem", private, 0o600)
    _replace(directory / f"{key.kid}{PUBLIC_SUFFIX}", key.public_pem())


def _read_current(directory: Path) -> str | None:
    try:
        return _check_kid((directory / CURRENT).read_text("ascii").strip())
    except FileNotFoundError:
        return None


def _load(directory: Path, kid: str, passphrase: bytes | None) -> SigningKey:
    try:
        data = (directory / f"{kid}.pem").read_bytes()
        private = serialization.load_pem_private_key(data, password=passphrase or None)
    except FileNotFoundError as exc:
        raise KeyStoreError(f"the current key {kid} has no private key file") from exc
    except (TypeError, ValueError) as exc:
        raise KeyStoreError(f"cannot open the private key {kid}: {exc}") from exc
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key = SigningKey(kid, pem)
    key.private_key()  # refuses anything but EC P-256
    return key


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def load_or_create_key(directory: Path, *, passphrase: bytes | None = None) -> SigningKey:
    """The directory's current key; the first call creates one (safe against a racing call)."""
    _prepare(directory)
    kid = _read_current(directory)
    if kid is None:
        key = generate_signing_key()
        _store(directory, key, passphrase)
        tmp = _write_new(directory / CURRENT, f"{key.kid}\n".encode("ascii"), 0o644)
        try:
            # link() never replaces: of two processes creating at once, one key wins.
            os.link(tmp, directory / CURRENT)
            return key
        except FileExistsError:
            for name in (f"{key.kid}.pem", f"{key.kid}{PUBLIC_SUFFIX}"):
                with contextlib.suppress(FileNotFoundError):
                    (directory / name).unlink()
            kid = _read_current(directory)
            if kid is None:
                raise KeyStoreError(f"{directory / CURRENT} vanished while it was read") from None
        finally:
            tmp.unlink(missing_ok=True)
    return _load(directory, kid, passphrase)


def rotate_key(directory: Path, *, passphrase: bytes | None = None) -> SigningKey:
    """A new current key; every older public key stays for verification."""
    _prepare(directory)
    key = generate_signing_key()
    _store(directory, key, passphrase)
    _replace(directory / CURRENT, f"{key.kid}\n".encode("ascii"))
    return key


def load_public_keys(directory: Path) -> dict[str, bytes]:
    """``{kid: public PEM}`` of every ``<kid>.pub.pem`` in the directory (none when missing)."""
    if not directory.is_dir():
        return {}
    keys: dict[str, bytes] = {}
    for path in sorted(directory.glob(f"*{PUBLIC_SUFFIX}")):
        kid = path.name[: -len(PUBLIC_SUFFIX)]
        if KID_RE.fullmatch(kid):
            keys[kid] = path.read_bytes()
    return keys
