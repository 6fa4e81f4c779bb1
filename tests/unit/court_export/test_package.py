"""Building a package: round trip, the independent BagIt validator, atomic output."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import bagit
import pytest

from court_export import package as package_module
from court_export import writing
from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.package import (
    BuiltPackage,
    Limits,
    PackageInput,
    SourceFile,
    build_package,
    read_member,
    verify_package,
)
from tests.unit.court_export.craft import CASE, members, sample_input


def test_a_built_package_verifies_and_gives_back_the_case(
        built: BuiltPackage, package_input: PackageInput, keys: dict[str, bytes],
        key: SigningKey) -> None:
    verified = verify_package(built.path, keys)
    assert verified.package_id == package_input.package_id == built.package_id
    assert verified.kid == key.kid
    assert verified.members == built.members
    case = verified.case
    assert case["schema_version"] == "1.0"
    assert case["package_id"] == package_input.package_id
    assert case["case_participants"] == CASE["case_participants"]
    assert case["lead_document"]["path"] == "documents/complaint.pdf"
    assert [d["path"] for d in case["connected_documents"]] == ["documents/termination.pdf"]
    photo = package_input.files[2].source
    assert isinstance(photo, Path)
    evidence = case["evidence"][0]
    assert evidence["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert evidence["size"] == photo.stat().st_size
    assert evidence["submitted_by"] == "张秀英"
    assert case["evidence"][1]["size"] == 0
    assert case["evidence"][1]["sha256"] == hashlib.sha256(b"").hexdigest()


def test_the_layout_is_one_bag_directory_of_stored_regular_files(built: BuiltPackage) -> None:
    root = built.package_id
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [f"{root}/{m}" for m in built.members]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert all(i.external_attr >> 16 == 0o100644 for i in infos)
        assert all(not i.flag_bits & 0x8 for i in infos)  # no data descriptors
        assert archive.read(f"{root}/bagit.txt") == (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        info = archive.read(f"{root}/bag-info.txt").decode()
    assert f"Payload-Oxum: {built.payload_oxum}\n" in info
    assert f"External-Identifier: {root}\n" in info
    assert set(built.members) == {
        "data/documents/complaint.pdf", "data/documents/termination.pdf",
        "data/evidence/01-工资条.jpg", "data/evidence/02-empty.txt", "data/case.json",
        "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
        "tagmanifest-sha256.txt.jws"}


def test_size_and_sha256_describe_the_zip_file(built: BuiltPackage) -> None:
    data = built.path.read_bytes()
    assert built.size == len(data)
    assert built.sha256 == hashlib.sha256(data).hexdigest()


def test_the_bagit_library_validates_a_built_package(built: BuiltPackage, tmp_path: Path) -> None:
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(tmp_path / "out")
    extracted = bagit.Bag(str(tmp_path / "out" / built.package_id))
    assert extracted.validate()
    assert extracted.info["Payload-Oxum"] == built.payload_oxum
    assert set(extracted.payload_entries()) == {m for m in built.members if m.startswith("data/")}


def test_the_signature_is_a_detached_es256_jws_over_the_tag_manifest(
        built: BuiltPackage, key: SigningKey) -> None:
    import jwt

    entries = members(built.path)
    root = built.package_id
    token = entries[f"{root}/tagmanifest-sha256.txt.jws"].decode().strip()
    payload_part = token.split(".")[1]
    assert payload_part == ""
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "b64": False, "crit": ["b64"], "kid": key.kid}
    jwt.api_jws.decode_complete(token, key.public_pem(), algorithms=["ES256"],
                                detached_payload=entries[f"{root}/tagmanifest-sha256.txt"])


def test_read_member_streams_a_document_by_its_case_path(built: BuiltPackage,
                                                          package_input: PackageInput) -> None:
    with read_member(built.path, "documents/complaint.pdf") as stream:
        assert stream.read() == package_input.files[0].source
    with read_member(built.path, "data/case.json") as stream:
        assert json.loads(stream.read())["package_id"] == built.package_id
    with pytest.raises(PackageRejected) as caught:
        read_member(built.path, "documents/absent.pdf")
    assert caught.value.code == "missing_member"
    with pytest.raises(PackageRejected) as caught:
        read_member(built.path, "../bagit.txt")
    assert caught.value.code == "path_traversal"


def test_a_second_build_replaces_the_package_atomically(
        built: BuiltPackage, package_input: PackageInput, key: SigningKey,
        keys: dict[str, bytes]) -> None:
    again = build_package(package_input, built.path, key)
    assert verify_package(again.path, keys).package_id == package_input.package_id
    assert [p.name for p in built.path.parent.iterdir() if p.name.endswith(".part")] == []


def test_an_unsynced_build_writes_the_same_package_without_syncing(
        package_input: PackageInput, key: SigningKey, keys: dict[str, bytes], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(package_module.os, "fsync", synced.append)
    monkeypatch.setattr("court_export.streams.os.fsync", synced.append)
    monkeypatch.setattr("court_export.streams.os.fdatasync", synced.append)
    scratch = build_package(package_input, tmp_path / "scratch.zip", key, sync=False)
    assert synced == []
    assert verify_package(scratch.path, keys).package_id == package_input.package_id
    build_package(package_input, tmp_path / "kept.zip", key)
    assert synced  # the default syncs the file and its directory


def test_a_failed_build_leaves_no_file(package_input: PackageInput, tmp_path: Path,
                                       key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(writing, "sign_detached", broken)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="disk full"):
        build_package(package_input, out / "p.zip", key)
    assert list(out.iterdir()) == []


def test_a_source_that_grows_while_read_is_refused(tmp_path: Path, key: SigningKey,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    inp = sample_input(tmp_path)
    photo = inp.files[2].source
    assert isinstance(photo, Path)
    real_plan = package_module._plan

    def plan_then_grow(*args: object) -> list[int]:
        sizes = real_plan(*args)  # type: ignore[arg-type]
        with photo.open("ab") as f:
            f.write(b"late bytes")
        return sizes

    monkeypatch.setattr(package_module, "_plan", plan_then_grow)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PackageRejected) as caught:
        build_package(inp, out / "p.zip", key)
    assert caught.value.code == "source_changed"
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("change", "code"), [
    (lambda i: replace(i, package_id="not-a-uuid"), "bad_input"),
    (lambda i: replace(i, files=i.files[1:]), "bad_input"),
    (lambda i: replace(i, files=[*i.files, replace(i.files[1], path="documents/../../x")]),
     "path_traversal"),
    (lambda i: replace(i, files=[*i.files, replace(i.files[1], path="/etc/passwd")]),
     "path_traversal"),
    (lambda i: replace(i, files=[*i.files, replace(i.files[1], path="documents/a%20b.pdf")]),
     "unsafe_name"),
    (lambda i: replace(i, files=[*i.files, replace(i.files[1], path="evidence/x.pdf")]),
     "bad_input"),
    (lambda i: replace(i, files=[*i.files, replace(i.files[1], path="documents/COMPLAINT.pdf")]),
     "duplicate_member"),
    (lambda i: replace(i, case={**i.case, "filing_type": "appeal"}), "schema_invalid"),
    (lambda i: replace(i, case={**i.case, "evidence": []}), "bad_input"),
    (lambda i: replace(i, case={**i.case, "package_id": "0" * 8}), "bad_input"),
    (lambda i: replace(i, files=[replace(i.files[0], meta={"secret_note": "x"}), *i.files[1:]]),
     "schema_invalid"),
])
def test_bad_input_is_refused_before_anything_is_written(
        change: object, code: str, tmp_path: Path, key: SigningKey) -> None:
    inp = change(sample_input(tmp_path))  # type: ignore[operator]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PackageRejected) as caught:
        build_package(inp, out / "p.zip", key)
    assert caught.value.code == code
    assert list(out.iterdir()) == []


def test_build_refuses_what_the_court_would_refuse_as_oversized(tmp_path: Path,
                                                                key: SigningKey) -> None:
    inp = sample_input(tmp_path, evidence_bytes=5000)
    with pytest.raises(PackageRejected) as caught:
        build_package(inp, tmp_path / "p.zip", key, limits=Limits(max_member_bytes=4096))
    assert caught.value.code == "oversized"
    assert not (tmp_path / "p.zip").exists()


def test_a_confirmation_needs_its_deadline(tmp_path: Path, key: SigningKey,
                                           keys: dict[str, bytes]) -> None:
    case = {**CASE, "filing_type": "judicial_confirmation"}
    with pytest.raises(PackageRejected) as caught:
        build_package(sample_input(tmp_path, case=case), tmp_path / "p.zip", key)
    assert caught.value.code == "schema_invalid"
    assert "deadlines" in caught.value.detail
    case["deadlines"] = {"confirmation_due": "2025-04-19"}
    built = build_package(sample_input(tmp_path, case=case), tmp_path / "p.zip", key)
    assert verify_package(built.path, keys).case["deadlines"] == case["deadlines"]


def test_large_sources_cross_the_chunk_boundaries(tmp_path: Path, key: SigningKey,
                                                  keys: dict[str, bytes]) -> None:
    big = bytes(range(251)) * 40_000  # ~10 MB, not a multiple of the 4 MiB chunk
    path = tmp_path / "big.bin"
    path.write_bytes(big)
    inp = sample_input(tmp_path)
    inp = replace(inp, files=[*inp.files,
                              SourceFile("evidence/03-big.bin", "大文件",
                                         "application/octet-stream", "evidence", path),
                              SourceFile("evidence/04-big-in-memory.bin", "大文件",
                                         "application/octet-stream", "evidence", big)])
    built = build_package(inp, tmp_path / "p.zip", key)
    case = verify_package(built.path, keys).case
    digest = hashlib.sha256(big).hexdigest()
    assert [e["sha256"] for e in case["evidence"][2:]] == [digest, digest]
