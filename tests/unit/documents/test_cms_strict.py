from __future__ import annotations

import re

import pytest
from asn1crypto import cms

from documents.cms_strict import cms_problems, contents_problems


@pytest.fixture(scope="module")
def blob(signed_agreement: bytes) -> bytes:
    """The DER of the last signature's CMS value."""
    match = list(re.finditer(rb"/Contents <([0-9A-Fa-f]+)>", signed_agreement))[-1]
    raw = bytes.fromhex(match.group(1).decode())
    info = cms.ContentInfo.load(raw)
    return bytes(info.dump())


def _edit(blob: bytes, change: object) -> bytes:
    info = cms.ContentInfo.load(blob)
    change(info["content"])  # type: ignore[operator]
    return bytes(info.dump(force=True))


def test_the_platforms_own_signature_is_strict(blob: bytes) -> None:
    assert cms_problems(blob) == []
    assert contents_problems(blob + bytes(100)) == []


def test_stray_bytes_after_the_value_are_reported(blob: bytes) -> None:
    assert contents_problems(blob + b"\x00\x01" + bytes(10))


def test_a_changed_signed_data_version_is_reported(blob: bytes) -> None:
    def change(sd: cms.SignedData) -> None:
        sd["version"] = "v3"
    assert any("version" in p for p in cms_problems(_edit(blob, change)))


def test_a_changed_digest_algorithm_list_is_reported(blob: bytes) -> None:
    def change(sd: cms.SignedData) -> None:
        sd["digest_algorithms"] = [{"algorithm": "sha384"}]
    assert any("digestAlgorithms" in p for p in cms_problems(_edit(blob, change)))


def test_an_unknown_unsigned_attribute_is_reported(blob: bytes) -> None:
    def change(sd: cms.SignedData) -> None:
        attr = sd["signer_infos"][0]["unsigned_attrs"][0]
        attr["type"] = "1.2.3.4"
    assert cms_problems(_edit(blob, change))  # its value no longer parses as a timestamp


def test_a_signer_identifier_matching_no_certificate_is_reported(blob: bytes) -> None:
    def change(sd: cms.SignedData) -> None:
        sid = sd["signer_infos"][0]["sid"].chosen
        sid["serial_number"] = sid["serial_number"].native + 1
    assert any("signer identifier" in p for p in cms_problems(_edit(blob, change)))


def test_garbage_is_reported_not_raised() -> None:
    assert cms_problems(b"\x30\x03\x02\x01") and contents_problems(b"\xff\xff")
