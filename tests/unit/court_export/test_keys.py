"""Key directories: creation, passphrases, rotation, thumbprints, racing creators."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from court_export.errors import KeyStoreError
from court_export.keys import (
    generate_signing_key,
    jwk_thumbprint,
    load_or_create_key,
    load_public_keys,
    rotate_key,
)
from court_export.package import build_package, verify_package
from tests.unit.court_export.craft import sample_input


def test_the_default_kid_is_the_rfc_7638_thumbprint() -> None:
    key = generate_signing_key()
    numbers = key.private_key().public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    jwk = f'{{"crv":"P-256","kty":"EC","x":"{b64(numbers.x)}","y":"{b64(numbers.y)}"}}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(jwk.encode()).digest()).rstrip(b"=")
    assert key.kid == expected.decode() == jwk_thumbprint(key.public_pem())
    assert len(key.kid) == 43


def test_a_chosen_kid_must_be_safe_as_a_file_name() -> None:
    assert generate_signing_key("court-2025_a").kid == "court-2025_a"
    with pytest.raises(KeyStoreError):
        generate_signing_key("../etc")


def test_the_private_key_never_shows_in_repr() -> None:
    key = generate_signing_key()
    assert "PRIVATE" not in repr(key)


def test_load_or_create_keeps_one_key(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path / "keys")
    again = load_or_create_key(tmp_path / "keys")
    assert again == first
    files = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert files == sorted([f"{first.kid}.pem", f"{first.kid}.pub.pem", "current"])
    assert (tmp_path / "keys" / f"{first.kid}.pem").stat().st_mode & 0o077 == 0
    assert load_public_keys(tmp_path / "keys") == {first.kid: first.public_pem()}


def test_a_passphrase_encrypts_the_private_key_at_rest(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path, passphrase=b"correct horse")
    pem = (tmp_path / f"{key.kid}.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, password=None)
    assert load_or_create_key(tmp_path, passphrase=b"correct horse") == key
    with pytest.raises(KeyStoreError):
        load_or_create_key(tmp_path, passphrase=b"wrong")
    with pytest.raises(KeyStoreError):
        load_or_create_key(tmp_path)


def test_rotation_keeps_old_packages_verifiable(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    old = load_or_create_key(directory, passphrase=b"pw")
    old_package = build_package(sample_input(tmp_path), tmp_path / "old.zip", old)
    new = rotate_key(directory, passphrase=b"pw")
    assert new.kid != old.kid
    assert load_or_create_key(directory, passphrase=b"pw") == new
    new_package = build_package(sample_input(tmp_path), tmp_path / "new.zip", new)
    public = load_public_keys(directory)
    assert set(public) == {old.kid, new.kid}
    assert verify_package(old_package.path, public).kid == old.kid
    assert verify_package(new_package.path, public).kid == new.kid


def test_racing_creators_agree_on_one_key(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    results: list[str] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        barrier.wait()
        results.append(load_or_create_key(directory).kid)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert list(load_public_keys(directory)) == results[:1]
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_public_keys_of_a_missing_directory_are_none(tmp_path: Path) -> None:
    assert load_public_keys(tmp_path / "absent") == {}


def test_a_foreign_key_file_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_pem = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    (tmp_path / "rsa.pem").write_bytes(rsa_pem)
    (tmp_path / "current").write_text("rsa\n")
    with pytest.raises(KeyStoreError):
        load_or_create_key(tmp_path)
    assert json.dumps(load_public_keys(tmp_path)) == "{}"
