from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from documents.ca import CAError, PlatformCA


def test_keys_are_created_on_first_use_and_encrypted_at_rest(tmp_path: Path) -> None:
    ca = PlatformCA(tmp_path / "pki", "s3cret")
    assert not (tmp_path / "pki").exists()
    creds = ca.signer("user-17", "张秀英")
    for name in ("root.key.pem", "root.crt.pem", "signers/user-17.key.pem",
                 "signers/user-17.crt.pem"):
        assert (tmp_path / "pki" / name).is_file(), name
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "pki/root.key.pem").read_bytes()
    assert (tmp_path / "pki/root.key.pem").stat().st_mode & 0o077 == 0
    cn = creds.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "张秀英"
    creds.certificate.verify_directly_issued_by(ca.root_certificate)


def test_a_second_instance_reuses_the_stored_keys(tmp_path: Path) -> None:
    first = PlatformCA(tmp_path, "s3cret")
    cert = first.signer("u1", "李卫东").certificate
    second = PlatformCA(tmp_path, "s3cret")
    assert second.root_certificate == first.root_certificate
    assert second.signer("u1", "李卫东").certificate == cert


def test_a_new_display_name_gets_a_new_certificate_for_the_same_key(tmp_path: Path) -> None:
    ca = PlatformCA(tmp_path, "s3cret")
    old = ca.signer("u1", "李卫冬")
    new = ca.signer("u1", "李卫东")
    assert new.certificate != old.certificate
    assert new.certificate.public_key() == old.certificate.public_key()


def test_the_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    PlatformCA(tmp_path, "s3cret").signer("u1", "张三")
    with pytest.raises(CAError, match="passphrase"):
        PlatformCA(tmp_path, "guess").root_certificate  # noqa: B018


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "名字", "x" * 65])
def test_signer_ids_cannot_escape_the_directory(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="signer id"):
        PlatformCA(tmp_path, "s3cret").signer(bad, "张三")


def test_the_time_stamping_certificate_is_marked_for_time_stamping(tmp_path: Path) -> None:
    cert, _ = PlatformCA(tmp_path, "s3cret").tsa()
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
