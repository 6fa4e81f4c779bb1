from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents.ca import PlatformCA
from documents.signing import sha256_hex
from documents.verify import verify_pdf
from tests.unit.documents.samples import SLOTS

FLIP = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_a_fully_signed_agreement_verifies(signed_agreement: bytes, ca: PlatformCA) -> None:
    report = verify_pdf(signed_agreement, ca.trust_roots())
    assert report.ok and report.error is None
    assert report.sha256 == sha256_hex(signed_agreement)
    assert [s.field_name for s in report.signatures] == [s.field_name for s in SLOTS]
    assert [s.signer for s in report.signatures] == [s.signer_name for s in SLOTS]
    for sig in report.signatures[:-1]:
        # Later signatures are the only changes after each earlier one.
        assert sig.modified_after and sig.modification == "form_filling"
    last = report.signatures[-1]
    assert not last.modified_after and last.modification == "none"
    assert all(s.intact and s.trusted and s.timestamp is not None for s in report.signatures)
    assert not report.changed_after_last_signature


def test_another_platforms_root_does_not_trust_our_signatures(
        signed_agreement: bytes, tmp_path: Path) -> None:
    stranger = PlatformCA(tmp_path, "other")
    report = verify_pdf(signed_agreement, stranger.trust_roots())
    assert not report.ok
    assert all(s.intact and not s.trusted for s in report.signatures)


def _flip(data: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


@FLIP
@given(fraction=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255))
def test_flipping_any_byte_is_detected(signed_agreement: bytes, ca: PlatformCA,
                                       fraction: float, mask: int) -> None:
    position = int(fraction * len(signed_agreement))
    report = verify_pdf(_flip(signed_agreement, position, mask), ca.trust_roots())
    assert not report.ok, position


@FLIP
@given(offset=st.integers(0, 20_000), mask=st.integers(1, 255))
def test_flipping_a_byte_of_the_last_signature_value_is_detected(
        signed_agreement: bytes, ca: PlatformCA, offset: int, mask: int) -> None:
    """The last /Contents is the one region no signature's digest covers."""
    start = signed_agreement.rindex(b"/Contents <") + len(b"/Contents ")
    end = signed_agreement.index(b">", start) + 1
    position = start + offset % (end - start)
    report = verify_pdf(_flip(signed_agreement, position, mask), ca.trust_roots())
    assert not report.ok, (position - start, mask)


def test_an_incremental_edit_after_the_last_signature_is_reported(
        signed_agreement: bytes, ca: PlatformCA) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_agreement))
    paint = writer.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 50 50 200 80 re f"))
    writer.add_stream_to_page(0, paint)
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), ca.trust_roots())
    assert report.error is None and not report.ok
    assert report.changed_after_last_signature
    last = report.signatures[-1]
    assert last.intact and last.trusted  # the signed bytes themselves are untouched
    assert last.modified_after and last.modification == "other"


@pytest.mark.parametrize("junk", [b"", b"GIF89a....", "这不是 PDF".encode()])
def test_non_pdf_input_gets_a_clear_error(junk: bytes, ca: PlatformCA) -> None:
    report = verify_pdf(junk, ca.trust_roots())
    assert not report.ok and report.signatures == ()
    assert report.error is not None and "PDF" in report.error
    assert report.sha256 == sha256_hex(junk)


def test_a_truncated_pdf_gets_a_clear_error(signed_agreement: bytes, ca: PlatformCA) -> None:
    report = verify_pdf(signed_agreement[: len(signed_agreement) // 2], ca.trust_roots())
    assert not report.ok
    assert report.error is not None or any(s.problems for s in report.signatures)


def test_an_unsigned_pdf_is_reported_as_such(agreement_pdf: bytes, ca: PlatformCA) -> None:
    report = verify_pdf(agreement_pdf, ca.trust_roots())
    assert not report.ok and report.error is not None
    assert re.search("no signatures", report.error)
