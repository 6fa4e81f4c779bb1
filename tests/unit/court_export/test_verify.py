"""Every refusal the issue names, on packages changed by hand after they were built."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.package import BuiltPackage, Limits, verify_package
from tests.unit.court_export.craft import edit_case, members, resign, write_zip


def refusal(path: Path, keys: dict[str, bytes], limits: Limits | None = None
            ) -> PackageRejected:
    with pytest.raises(PackageRejected) as caught:
        verify_package(path, keys, limits or Limits())
    return caught.value


def name_of(entries: dict[str, bytes], suffix: str) -> str:
    return next(n for n in entries if n.endswith(suffix))


def test_a_changed_byte_in_a_document_is_a_checksum_mismatch(
        built: BuiltPackage, keys: dict[str, bytes]) -> None:
    data = bytearray(built.path.read_bytes())
    at = data.index(b" termination ")
    data[at] ^= 0x01
    built.path.write_bytes(bytes(data))
    error = refusal(built.path, keys)
    assert error.code == "checksum_mismatch"
    assert "data/documents/termination.pdf" in error.detail


def test_a_changed_byte_in_a_large_evidence_file_is_found(
        built: BuiltPackage, keys: dict[str, bytes], tmp_path: Path) -> None:
    entries = members(built.path)
    photo = name_of(entries, "01-工资条.jpg")
    changed = bytearray(entries[photo])
    changed[-1] ^= 0xFF
    entries[photo] = bytes(changed)
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "checksum_mismatch"


def test_a_changed_case_json_is_a_checksum_mismatch(built: BuiltPackage, keys: dict[str, bytes],
                                                    tmp_path: Path) -> None:
    entries = edit_case(members(built.path), lambda c: c["claims"][0].update(amount="99999"))
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "checksum_mismatch"


def test_a_missing_file_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                   tmp_path: Path) -> None:
    entries = members(built.path)
    del entries[name_of(entries, "termination.pdf")]
    error = refusal(write_zip(tmp_path / "t.zip", entries), keys)
    assert error.code == "missing_member"
    assert "termination.pdf" in error.detail


def test_an_extra_file_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                  tmp_path: Path) -> None:
    entries = members(built.path)
    entries[f"{built.package_id}/data/evidence/99-planted.exe"] = b"MZ"
    error = refusal(write_zip(tmp_path / "t.zip", entries), keys)
    assert error.code == "unexpected_member"
    assert "99-planted.exe" in error.detail


def test_an_extra_tag_file_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                      tmp_path: Path) -> None:
    entries = members(built.path)
    entries[f"{built.package_id}/fetch.txt"] = b"http://example.org/x 1 data/x\n"
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "unexpected_member"


@pytest.mark.parametrize("name", ["{root}/data/../../x", "../x", "{root}/../x", "/etc/passwd",
                                  "{root}/data/evidence/..\\..\\x", "C:/x", "{root}//x"])
def test_a_path_leaving_the_bag_is_refused(name: str, built: BuiltPackage,
                                           keys: dict[str, bytes], tmp_path: Path) -> None:
    entries = members(built.path)
    entries[name.format(root=built.package_id)] = b"x"
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "path_traversal"


def test_a_traversal_path_listed_in_a_signed_manifest_is_refused(
        built: BuiltPackage, keys: dict[str, bytes], key: SigningKey, tmp_path: Path) -> None:
    entries = members(built.path)
    entries[f"{built.package_id}/data/../x"] = b"x"
    assert refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys).code == (
        "path_traversal")


def test_a_file_outside_the_bag_directory_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                                     tmp_path: Path) -> None:
    entries = members(built.path)
    entries["README.txt"] = b"hello"
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "unexpected_member"


def test_a_symlink_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                              tmp_path: Path) -> None:
    entries = members(built.path)
    link = name_of(entries, "02-empty.txt")

    def as_link(info: zipfile.ZipInfo) -> None:
        if info.filename == link:
            info.external_attr = 0o120777 << 16

    assert refusal(write_zip(tmp_path / "t.zip", entries, as_link), keys).code == "symlink"


def test_a_duplicate_name_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                     tmp_path: Path) -> None:
    path = write_zip(tmp_path / "t.zip", members(built.path))
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(path, "a") as archive:
        archive.writestr(f"{built.package_id}/data/documents/complaint.pdf", b"second")
    assert refusal(path, keys).code == "duplicate_member"


def test_names_differing_only_in_case_are_refused(built: BuiltPackage, keys: dict[str, bytes],
                                                  key: SigningKey, tmp_path: Path) -> None:
    entries = members(built.path)
    entries[f"{built.package_id}/data/documents/COMPLAINT.pdf"] = b"x"
    assert refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys).code == (
        "duplicate_member")


def test_a_compressed_member_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                        tmp_path: Path) -> None:
    def deflate(info: zipfile.ZipInfo) -> None:
        info.compress_type = zipfile.ZIP_DEFLATED

    path = write_zip(tmp_path / "t.zip", members(built.path), deflate)
    assert refusal(path, keys).code == "unsupported_zip"


def test_a_signature_by_another_key_with_a_known_kid_is_refused(
        built: BuiltPackage, key: SigningKey, other_key: SigningKey, tmp_path: Path) -> None:
    impostor = SigningKey(key.kid, other_key.private_pem)
    path = write_zip(tmp_path / "t.zip", resign(members(built.path), impostor))
    error = refusal(path, {key.kid: key.public_pem()})
    assert error.code == "bad_signature"


def test_a_package_verified_with_the_wrong_public_key_is_refused(
        built: BuiltPackage, key: SigningKey, other_key: SigningKey) -> None:
    assert refusal(built.path, {key.kid: other_key.public_pem()}).code == "bad_signature"


def test_an_unknown_kid_is_refused(built: BuiltPackage, other_key: SigningKey) -> None:
    error = refusal(built.path, {other_key.kid: other_key.public_pem()})
    assert error.code == "unknown_key"


def test_a_garbled_signature_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                        tmp_path: Path) -> None:
    entries = members(built.path)
    entries[name_of(entries, ".jws")] = b"not a token"
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "bad_signature"


def test_a_changed_manifest_breaks_the_signature(built: BuiltPackage, keys: dict[str, bytes],
                                                 tmp_path: Path) -> None:
    entries = members(built.path)
    manifest = name_of(entries, "/manifest-sha256.txt")
    entries[manifest] = entries[manifest].replace(b"documents/termination.pdf", b"x/y")
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "checksum_mismatch"


def test_a_schema_invalid_case_is_refused_even_when_signed(
        built: BuiltPackage, keys: dict[str, bytes], key: SigningKey, tmp_path: Path) -> None:
    entries = edit_case(members(built.path), lambda c: c["claims"][0].update(amount="12,000"))
    error = refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys)
    assert error.code == "schema_invalid"
    assert "claims/0/amount" in error.detail


def test_a_case_that_is_not_json_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                            key: SigningKey, tmp_path: Path) -> None:
    entries = members(built.path)
    entries[name_of(entries, "case.json")] = b"{NaN"
    error = refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys)
    assert error.code == "schema_invalid"


def test_a_case_that_lies_about_a_document_is_refused(
        built: BuiltPackage, keys: dict[str, bytes], key: SigningKey, tmp_path: Path) -> None:
    entries = edit_case(members(built.path),
                        lambda c: c["evidence"][0].update(sha256="0" * 64))
    assert refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys).code == (
        "case_mismatch")


def test_a_file_the_case_does_not_list_is_refused(
        built: BuiltPackage, keys: dict[str, bytes], key: SigningKey, tmp_path: Path) -> None:
    entries = members(built.path)
    entries[f"{built.package_id}/data/evidence/03-caucus-notes.txt"] = b"private"
    error = refusal(write_zip(tmp_path / "t.zip", resign(entries, key)), keys)
    assert error.code == "case_mismatch"
    assert "03-caucus-notes.txt" in error.detail


def test_a_wrong_payload_oxum_is_refused(built: BuiltPackage, keys: dict[str, bytes],
                                         key: SigningKey, tmp_path: Path) -> None:
    entries = resign(members(built.path), key)
    info = name_of(entries, "bag-info.txt")
    entries[info] = entries[info].replace(b"Payload-Oxum: ", b"Payload-Oxum: 1")
    error = refusal(write_zip(tmp_path / "t.zip", resign_tags_only(entries, key)), keys)
    assert error.code == "checksum_mismatch"
    assert "Payload-Oxum" in error.detail


def resign_tags_only(entries: dict[str, bytes], key: SigningKey) -> dict[str, bytes]:
    """Sign the tag files as they are (resign() would recompute the Oxum)."""
    import hashlib

    from court_export import bag
    from court_export.signing import sign_detached

    root = next(iter(entries)).split("/", 1)[0]
    tags = {n: entries[f"{root}/{n}"] for n in bag.SIGNED_TAG_FILES}
    tagmanifest = bag.manifest((n, hashlib.sha256(d).hexdigest()) for n, d in tags.items())
    return {**entries, f"{root}/{bag.TAGMANIFEST}": tagmanifest,
            f"{root}/{bag.SIGNATURE}": sign_detached(tagmanifest, key).encode()}


def test_a_missing_bagit_txt_is_not_a_bag(built: BuiltPackage, keys: dict[str, bytes],
                                          tmp_path: Path) -> None:
    entries = members(built.path)
    del entries[name_of(entries, "/bagit.txt")]
    assert refusal(write_zip(tmp_path / "t.zip", entries), keys).code == "not_a_bag"


def test_a_file_that_is_no_zip_is_refused(tmp_path: Path, keys: dict[str, bytes]) -> None:
    path = tmp_path / "t.zip"
    path.write_bytes(b"%PDF-1.7 this is not a zip")
    assert refusal(path, keys).code == "bad_zip"


def test_an_oversized_package_is_refused_before_it_is_read(
        built: BuiltPackage, keys: dict[str, bytes]) -> None:
    error = refusal(built.path, keys, Limits(max_package_bytes=built.size - 1))
    assert error.code == "oversized"


def test_an_oversized_member_is_refused(built: BuiltPackage, keys: dict[str, bytes]) -> None:
    error = refusal(built.path, keys, Limits(max_member_bytes=100_000))
    assert error.code == "oversized"
    assert "01-工资条.jpg" in error.detail


def test_too_many_members_are_refused(built: BuiltPackage, keys: dict[str, bytes]) -> None:
    assert refusal(built.path, keys, Limits(max_members=5)).code == "oversized"


def test_a_size_declared_smaller_than_the_data_is_refused(
        built: BuiltPackage, keys: dict[str, bytes]) -> None:
    """The central directory says 10 bytes for a 300 kB member: the local header disagrees."""
    data = bytearray(built.path.read_bytes())
    with zipfile.ZipFile(built.path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("01-工资条.jpg"))
    central = data.index(b"PK\x01\x02")
    while not data[central + 46:].startswith(info.orig_filename.encode()):
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 20:central + 28] = (10).to_bytes(4, "little") * 2
    built.path.write_bytes(bytes(data))
    assert refusal(built.path, keys).code == "bad_zip"
