from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents.ca import PlatformCA
from documents.signing import (
    AlreadySigned,
    NotAPdf,
    OutOfTurn,
    StaleDocument,
    UnknownField,
    sha256_hex,
    sign_pdf,
    signature_state,
)
from documents.stamp import render_stamp
from tests.unit.documents.samples import SLOTS

ORDER = [s.field_name for s in SLOTS]


async def _validate_all(pdf: bytes, ca: PlatformCA) -> list[object]:
    root = asn1_x509.Certificate.load(ca.root_certificate.public_bytes(Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf))
    return [await async_validate_pdf_signature(s, context) for s in reader.embedded_signatures]


def test_every_signer_in_turn_validates_intact_and_trusted(
        signed_agreement: bytes, agreement_pdf: bytes, ca: PlatformCA) -> None:
    assert signed_agreement.startswith(agreement_pdf)  # each signature is an incremental update
    statuses = asyncio.run(_validate_all(signed_agreement, ca))
    assert len(statuses) == len(SLOTS)
    for status, slot in zip(statuses, SLOTS, strict=True):
        assert status.intact and status.valid and status.trusted, slot.field_name  # type: ignore[attr-defined]
        assert status.timestamp_validity is not None  # type: ignore[attr-defined]
        assert status.timestamp_validity.trusted  # type: ignore[attr-defined]
        assert status.signing_cert.subject.native["common_name"] == slot.signer_name  # type: ignore[attr-defined]
    state = signature_state(signed_agreement, ORDER)
    assert state.complete and state.next_field is None
    assert state.signed == tuple(ORDER)


def test_state_tells_who_is_next(agreement_pdf: bytes, ca: PlatformCA,
                                 timestamper: TimeStamper) -> None:
    assert signature_state(agreement_pdf, ORDER).next_field == "party-1"
    creds = ca.signer("s-party-1", "张秀英")
    once = sign_pdf(agreement_pdf, creds, None, "party-1", timestamper=timestamper)
    state = signature_state(once, ORDER)
    assert state.signed == ("party-1",)
    assert state.missing == tuple(ORDER[1:]) and state.next_field == "party-2"
    assert signature_state(once, ["party-1", "absent-field"]).missing == ("absent-field",)


def _stamp() -> bytes:
    return render_stamp("王建国", datetime.now(UTC))


def test_signing_out_of_turn_is_refused(agreement_pdf: bytes, ca: PlatformCA) -> None:
    creds = ca.signer("s-party-2", "王建国")
    with pytest.raises(OutOfTurn, match="party-1"):
        sign_pdf(agreement_pdf, creds, _stamp(), "party-2", order=ORDER)


def test_signing_a_version_that_is_no_longer_current_is_refused(
        agreement_pdf: bytes, ca: PlatformCA, timestamper: TimeStamper) -> None:
    shown = sha256_hex(agreement_pdf)
    first = sign_pdf(agreement_pdf, ca.signer("s-party-1", "张秀英"), None, "party-1",
                     timestamper=timestamper, expected_sha256=shown)
    with pytest.raises(StaleDocument):
        sign_pdf(first, ca.signer("s-party-2", "王建国"), _stamp(), "party-2",
                 expected_sha256=shown)


def test_wrong_or_taken_fields_are_refused(signed_agreement: bytes, agreement_pdf: bytes,
                                           ca: PlatformCA) -> None:
    creds = ca.signer("s-party-2", "王建国")
    with pytest.raises(UnknownField):
        sign_pdf(agreement_pdf, creds, _stamp(), "party-9")
    with pytest.raises(UnknownField):
        sign_pdf(agreement_pdf, creds, _stamp(), "party-2", order=["party-1"])
    with pytest.raises(AlreadySigned):
        sign_pdf(signed_agreement, creds, _stamp(), "party-2")


@pytest.mark.parametrize("junk", [b"", b"hello", b"%PDF-1.7\n garbage without a trailer"])
def test_non_pdf_input_is_refused(junk: bytes, ca: PlatformCA) -> None:
    with pytest.raises(NotAPdf):
        sign_pdf(junk, ca.signer("s-party-1", "张秀英"), None, "party-1")


def test_a_broken_stamp_is_refused_before_anything_is_signed(agreement_pdf: bytes,
                                                              ca: PlatformCA) -> None:
    with pytest.raises(NotAPdf):
        sign_pdf(agreement_pdf, ca.signer("s-party-1", "张秀英"), b"not a pdf", "party-1")
