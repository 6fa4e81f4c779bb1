"""PAdES signatures as incremental updates: one signer at a time, into prepared empty fields."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.ca import PlatformCA, SignerCredentials

# Room for the CMS blob in hex digits: an ECDSA signature, two certificates and an RSA-signed
# timestamp token take about 4.4 KB (8.8 K digits). A fixed size spares pyHanko a dry-run
# signature (and a second timestamp request) to measure it.
SIGNATURE_BYTES = 16384


class SigningRefused(Exception):
    """Nothing was signed; the message says why."""


class NotAPdf(SigningRefused):
    pass


class StaleDocument(SigningRefused):
    pass


class UnknownField(SigningRefused):
    pass


class AlreadySigned(SigningRefused):
    pass


class OutOfTurn(SigningRefused):
    pass


@dataclass(frozen=True)
class SignatureState:
    signed: tuple[str, ...]  # every filled signature field in the document
    missing: tuple[str, ...]  # required fields still empty (or absent), in the required order

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def next_field(self) -> str | None:
        return self.missing[0] if self.missing else None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reader(pdf: bytes) -> PdfFileReader:
    if pdf.lstrip()[:5] != b"%PDF-":
        raise NotAPdf("the file is not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        reader.root  # noqa: B018 - forces the trailer and catalog to parse
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise NotAPdf(f"the PDF cannot be read: {exc}") from exc
    return reader


def _fields(reader: PdfFileReader) -> dict[str, bool]:
    """Signature field name -> filled."""
    return {name: value is not None for name, value, _ in fields.enumerate_sig_fields(reader)}


def signature_state(pdf: bytes, required: Sequence[str]) -> SignatureState:
    """Which required signature fields are filled and which are still missing.

    This reads the fields only; verify_pdf checks that the signatures are sound.
    """
    present = _fields(_reader(pdf))
    signed = tuple(name for name, filled in present.items() if filled)
    return SignatureState(signed, tuple(n for n in required if not present.get(n, False)))


def make_timestamper(ca: PlatformCA) -> TimeStamper:
    """An in-process RFC 3161 time stamper signing with the platform's TSA key."""
    cert, key = ca.tsa()
    return DummyTimeStamper(
        tsa_cert=_asn1_cert(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=_asn1_key(key.private_bytes(serialization.Encoding.DER,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())),
    )


def _asn1_cert(der: bytes) -> Any:
    return asn1_x509.Certificate.load(der)


def _asn1_key(der: bytes) -> Any:
    return asn1_keys.PrivateKeyInfo.load(der)


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def _signer(creds: SignerCredentials) -> signers.SimpleSigner:
    der = serialization.Encoding.DER
    key = creds.private_key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    # Only intermediates travel with the signature: a verifier brings its own roots, and an
    # embedded root copy is bytes nobody checks, in the one region no signature covers.
    chain = [_asn1_cert(c.public_bytes(der)) for c in creds.chain if not _self_signed(c)]
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(creds.certificate.public_bytes(der)),
        signing_key=_asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
    )


class _StampPage(content.PdfContent):
    """The first page of an in-memory PDF as the stamp's background."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobj = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        name = "/Stamp" + uuid.uuid4().hex
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def sign_pdf(pdf: bytes, signer: SignerCredentials, stamp_pdf: bytes | None, field_name: str,
             *, timestamper: TimeStamper | None = None, expected_sha256: str | None = None,
             order: Sequence[str] | None = None, reason: str = "", location: str = "") -> bytes:
    """Sign the empty field `field_name` and return the document with the signature appended.

    Refuses (SigningRefused and subclasses) when the input is not a PDF, when its SHA-256 is not
    `expected_sha256` (someone signed or changed it since the signer saw it), when the field does
    not exist or is already signed, or when a field before it in `order` is still empty.
    `stamp_pdf` is the visible appearance from render_stamp/render_seal (None: invisible).
    """
    reader = _reader(pdf)
    if expected_sha256 is not None and sha256_hex(pdf) != expected_sha256.lower():
        raise StaleDocument("the document changed since this version was shown to the signer")
    present = _fields(reader)
    if field_name not in present:
        raise UnknownField(f"the document has no signature field {field_name!r}")
    if present[field_name]:
        raise AlreadySigned(f"the field {field_name!r} is already signed")
    if order is not None:
        if field_name not in order:
            raise UnknownField(f"{field_name!r} is not among the expected signers")
        waiting = [n for n in order[: list(order).index(field_name)] if not present.get(n)]
        if waiting:
            raise OutOfTurn(f"{', '.join(waiting)} must sign before {field_name}")
    style = None
    if stamp_pdf is not None:
        _reader(stamp_pdf)
        style = StaticStampStyle(background=_StampPage(stamp_pdf), border_width=0,
                                 background_opacity=1.0)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None, location=location or None, name=signer.display_name)
    pdf_signer = signers.PdfSigner(meta, signer=_signer(signer), timestamper=timestamper,
                                   stamp_style=style)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = pdf_signer.sign_pdf(writer, existing_fields_only=True,
                                  bytes_reserved=SIGNATURE_BYTES)
    except (SigningError, PdfError) as exc:
        raise SigningRefused(f"pyHanko could not sign: {exc}") from exc
    data: bytes = out.getvalue()
    return data
